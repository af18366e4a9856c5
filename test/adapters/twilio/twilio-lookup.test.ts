import assert from "node:assert/strict";
import { after, beforeEach, before, describe, it } from "node:test";
import { LINE_TYPE_TTL_MS, periodWords } from "../../../src/adapters/channel/twilio-sms/twilio-lookup.js";
import type { RiskSignal } from "../../../src/domain/ports.js";
import { hidesNumber, startTwilioKit, TO, TO_MASKED, type TwilioKit } from "./twilio-kit.js";

describe("Twilio Lookup: checking the registered number before a code is sent", () => {
  let kit: TwilioKit;
  before(async () => {
    kit = await startTwilioKit();
  });
  beforeEach(() => {
    kit.fake.reset();
    kit.fake.lineTypes.clear();
    kit.fake.lineTypeErrors.clear();
    kit.fake.simSwaps.clear();
  });
  after(() => kit.close());

  const assess = (config: Record<string, unknown> = {}, to = TO): Promise<RiskSignal[]> => {
    const channel = kit.channel(config);
    assert.ok(channel.assess !== undefined, "the channel checks numbers");
    return channel.assess({ channel: "sms", to });
  };
  const codes = (signals: RiskSignal[]) => signals.map((s) => s.code);

  it("asks Lookup v2 for the line type, with the account's credentials, and finds nothing wrong with a mobile", async () => {
    assert.deepEqual(await assess(), []);
    const [request] = kit.fake.requests;
    assert.equal(request?.method, "GET");
    assert.equal(request?.path, `/v2/PhoneNumbers/${encodeURIComponent(TO)}`);
    assert.equal(request?.query, "?Fields=line_type_intelligence");
    const user = Buffer.from(String(request?.headers.authorization).replace(/^Basic /, ""), "base64").toString("utf8").split(":")[0];
    assert.equal(user, kit.fake.account.sid);
  });

  it("raises number_voip for fixed and non-fixed VoIP, naming the number only masked", async () => {
    for (const type of ["nonFixedVoip", "fixedVoip"]) {
      kit.fake.lineTypes.set(TO, type);
      const signals = await assess();
      assert.deepEqual(codes(signals), ["number_voip"], type);
      const detail = signals[0]?.detail ?? "";
      assert.ok(detail.includes(TO_MASKED) && detail.includes(type), detail);
      assert.ok(hidesNumber(detail));
    }
  });

  it("raises number_not_mobile for landlines, toll-free, premium and the other fixed kinds", async () => {
    for (const type of ["landline", "tollFree", "premium", "sharedCost", "uan", "voicemail", "pager", "personal"]) {
      kit.fake.lineTypes.set(TO, type);
      assert.deepEqual(codes(await assess()), ["number_not_mobile"], type);
    }
  });

  it("fails closed: a type Twilio cannot tell, a line-type error, an error answer, bad credentials or no answer is number_check_unavailable", async () => {
    kit.fake.lineTypes.set(TO, "unknown");
    assert.deepEqual(codes(await assess()), ["number_check_unavailable"]);
    kit.fake.lineTypes.clear();
    kit.fake.lineTypeErrors.set(TO, 60601);
    const canada = await assess();
    assert.deepEqual(codes(canada), ["number_check_unavailable"]);
    assert.match(canada[0]?.detail ?? "", /60601.*Canadian/);
    kit.fake.lineTypeErrors.clear();
    kit.fake.failNextLookup("500", 2);
    assert.deepEqual(codes(await assess()), ["number_check_unavailable"]);
    kit.fake.reset();
    kit.fake.failNextLookup("401");
    const refused = await assess();
    assert.match(refused[0]?.detail ?? "", /refused Verity's credentials for Lookup \(HTTP 401, error 20003\)/);
    kit.fake.failNextLookup("hang", 2);
    const silent = await assess();
    assert.deepEqual(codes(silent), ["number_check_unavailable"]);
    assert.match(silent[0]?.detail ?? "", /did not answer in time/);
  });

  it("raises number_invalid when Twilio says the number cannot exist", async () => {
    const signals = await assess({}, "+4477009001234567");
    assert.deepEqual(codes(signals), ["number_invalid"]);
    assert.match(signals[0]?.detail ?? "", /TOO_LONG/);
  });

  it("checks a recent SIM swap when enabled: swapped in the period, not swapped, or no carrier data (60620)", async () => {
    const withSwap = { lookup: { baseUrl: kit.fake.baseUrl, simSwap: true } };
    assert.deepEqual(await assess(withSwap), []);
    assert.equal(kit.fake.requests.at(-1)?.query, "?Fields=line_type_intelligence,sim_swap");
    kit.fake.simSwaps.set(TO, { swappedPeriod: "PT48H", swappedInPeriod: true });
    const swapped = await assess(withSwap);
    assert.deepEqual(codes(swapped), ["sim_swap_recent"]);
    assert.match(swapped[0]?.detail ?? "", /changed in the last 48 hours/);
    kit.fake.simSwaps.set(TO, { errorCode: 60620 });
    assert.deepEqual(codes(await assess(withSwap)), ["number_check_unavailable"]);
    kit.fake.lineTypes.set(TO, "nonFixedVoip");
    kit.fake.simSwaps.set(TO, { swappedPeriod: "P7D", swappedInPeriod: true });
    assert.deepEqual(codes(await assess(withSwap)).sort(), ["number_voip", "sim_swap_recent"]);
  });

  it("does nothing when switched off, and asks only for SIM swap when line type is off", async () => {
    assert.ok(!("assess" in kit.channel({ lookup: false })), "no checks when lookup is false");
    assert.deepEqual(await assess({ lookup: { baseUrl: kit.fake.baseUrl, lineType: false, simSwap: true } }), []);
    assert.equal(kit.fake.requests.at(-1)?.query, "?Fields=sim_swap");
    kit.fake.reset();
    assert.deepEqual(await assess({ lookup: { baseUrl: kit.fake.baseUrl, lineType: false } }), []);
    assert.equal(kit.fake.requests.length, 0, "nothing to ask");
  });

  it("keeps a definite line type for six hours per number, but never a failed check or a SIM-swap answer", async () => {
    let now = Date.parse("2026-11-23T09:00:00Z");
    const channel = kit.channel({ lookup: { baseUrl: kit.fake.baseUrl, simSwap: true } }, { now: () => now });
    const check = () => channel.assess?.({ channel: "sms", to: TO }) ?? Promise.resolve([]);
    kit.fake.lineTypes.set(TO, "nonFixedVoip");
    assert.deepEqual(codes(await check()), ["number_voip"]);
    kit.fake.lineTypes.set(TO, "mobile");
    kit.fake.simSwaps.set(TO, { swappedPeriod: "PT24H", swappedInPeriod: true });
    assert.deepEqual(codes(await check()).sort(), ["number_voip", "sim_swap_recent"], "line type from the cache, SIM swap asked again");
    assert.equal(kit.fake.requests.at(-1)?.query, "?Fields=sim_swap");
    now += LINE_TYPE_TTL_MS + 1;
    kit.fake.simSwaps.clear();
    assert.deepEqual(codes(await check()), [], "asked again once the entry is old");
    const other = kit.channel({}, { now: () => now });
    kit.fake.lineTypeErrors.set(TO, 60601);
    await other.assess?.({ channel: "sms", to: TO });
    kit.fake.lineTypeErrors.clear();
    assert.deepEqual(codes((await other.assess?.({ channel: "sms", to: TO })) ?? []), [], "a failed check is not kept");
  });

  it("stops asking Lookup for 30 s after 5 outages, failing closed at once", async () => {
    let now = Date.parse("2026-11-23T09:00:00Z");
    const channel = kit.channel({}, { now: () => now });
    const check = () => channel.assess?.({ channel: "sms", to: TO }) ?? Promise.resolve([]);
    kit.fake.failNextLookup("500", 10);
    for (let i = 0; i < 5; i += 1) assert.deepEqual(codes(await check()), ["number_check_unavailable"]);
    const asked = kit.fake.requests.length;
    const refused = await check();
    assert.match(refused[0]?.detail ?? "", /failed repeatedly, so Verity is not asking it for 30 s/);
    assert.equal(kit.fake.requests.length, asked, "no request while the circuit is open");
    kit.fake.reset();
    now += 30_000;
    assert.deepEqual(codes(await check()), [], "the probe finds Lookup back");
  });

  it("words Twilio's swap periods", () => {
    assert.equal(periodWords("PT24H"), "in the last 24 hours");
    assert.equal(periodWords("P14D"), "in the last 14 days");
    assert.equal(periodWords("P1Y"), "recently");
    assert.equal(periodWords(null), "recently");
  });

  it("never logs the full number", () => {
    assert.ok(kit.logs.length > 0);
    for (const line of kit.logs) assert.ok(hidesNumber(line), line);
  });
});
