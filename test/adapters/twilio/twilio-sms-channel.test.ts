import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { isVerityError, type ErrorCode } from "../../../src/domain/errors.js";
import { fakeSid } from "../../fakes/twilio/fake-twilio.js";
import { apiKeyAuth, CODE, hidesNumber, message, shown, startTwilioKit, TO, TO_MASKED, type TwilioKit } from "./twilio-kit.js";

describe("Twilio SMS channel: sending", () => {
  let kit: TwilioKit;
  before(async () => {
    kit = await startTwilioKit({ accounts: [{}, {}] });
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const basicUser = (index = 0): string => {
    const header = String(kit.fake.requests[index]?.headers.authorization);
    return Buffer.from(header.replace(/^Basic /, ""), "base64").toString("utf8").split(":")[0] ?? "";
  };

  it("posts the form with a From number and returns the message SID", async () => {
    const channel = kit.channel({}, { validityPeriodSeconds: 600, statusCallbackUrl: "https://verity.example/hooks/twilio/acme-sms" });
    assert.deepEqual([channel.name, channel.channels, channel.developmentOnly], ["acme-sms", ["sms"], false]);
    const receipt = await channel.send(message());
    const [sent] = kit.fake.messages;
    const [request] = kit.fake.requests;
    assert.equal(receipt.providerRef, sent?.sid);
    assert.match(receipt.providerRef ?? "", /^SM[0-9a-f]{32}$/);
    assert.deepEqual([sent?.to, sent?.from, sent?.status, sent?.validityPeriod], [TO, kit.fake.account.senders[0], "queued", 600]);
    assert.ok(sent?.body.startsWith(CODE));
    assert.equal(request?.path, `/2010-04-01/Accounts/${kit.fake.account.sid}/Messages.json`);
    assert.equal(request?.headers["content-type"], "application/x-www-form-urlencoded");
    assert.deepEqual(Object.keys(request?.form ?? {}).sort(), ["Body", "From", "StatusCallback", "To", "ValidityPeriod"]);
    assert.deepEqual(request?.form.StatusCallback, ["https://verity.example/hooks/twilio/acme-sms"]);
    assert.equal(basicUser(), kit.fake.account.sid);
  });

  it("sends through a Messaging Service instead of a number", async () => {
    const service = kit.fake.account.messagingServices[0];
    const receipt = await kit.channel({ from: undefined, messagingServiceSid: service }).send(message());
    const [request] = kit.fake.requests;
    assert.deepEqual(request?.form.MessagingServiceSid, [service]);
    assert.equal(request?.form.From, undefined);
    assert.equal(kit.fake.messages[0]?.status, "accepted");
    assert.equal(receipt.providerRef, kit.fake.messages[0]?.sid);
  });

  it("authenticates with an API key while the path keeps the Account SID", async () => {
    const auth = apiKeyAuth(kit.fake);
    await kit.channel({ auth, statusCallbacks: false }).send(message());
    assert.equal(basicUser(), auth.keySid);
    assert.match(kit.fake.requests[0]?.path ?? "", new RegExp(`/Accounts/${kit.fake.account.sid}/`));
  });

  it("sends no StatusCallback without a URL, and clamps ValidityPeriod to Twilio's range", async () => {
    await kit.channel().send(message());
    await kit.channel({}, { validityPeriodSeconds: 0.2 }).send(message());
    await kit.channel({}, { validityPeriodSeconds: 100_000 }).send(message());
    const forms = kit.fake.requests.map((r) => r.form);
    assert.equal(forms[0]?.StatusCallback, undefined);
    assert.equal(forms[0]?.ValidityPeriod, undefined);
    assert.deepEqual([forms[1]?.ValidityPeriod, forms[2]?.ValidityPeriod], [["1"], ["36000"]]);
  });

  it("refuses a text longer than Twilio accepts without calling Twilio", async () => {
    await assert.rejects(kit.channel().send(message({ text: "x".repeat(1601) })), (e: unknown) => isVerityError(e) && e.code === "CHANNEL_REJECTED");
    assert.equal(kit.fake.requests.length, 0);
  });

  it("refuses an email", async () => {
    await assert.rejects(kit.channel().send(message({ channel: "email", to: "a@b.example" })), (e: unknown) => isVerityError(e) && e.code === "CHANNEL_REJECTED");
    assert.equal(kit.fake.requests.length, 0);
  });
});

describe("Twilio SMS channel: Twilio's refusals", () => {
  let kit: TwilioKit;
  before(async () => {
    kit = await startTwilioKit({ accounts: [{}, {}] });
  });
  beforeEach(() => {
    kit.fake.reset();
    for (const set of [kit.fake.optedOut, kit.fake.landlines, kit.fake.blockedPrefixes, kit.fake.unroutable]) set.clear();
  });
  after(() => kit.close());

  interface Case {
    readonly name: string;
    readonly arrange?: () => void;
    readonly config?: () => Record<string, unknown>;
    readonly to?: string;
    readonly code: ErrorCode;
    readonly providerCode: number;
    readonly says: RegExp;
  }
  const cases: Case[] = [
    { name: "21211 invalid To", to: "+0123456789", code: "CHANNEL_REJECTED", providerCode: 21211, says: /not a valid phone number.*directory/ },
    { name: "21408 Geo permissions", arrange: () => kit.fake.blockedPrefixes.add("+44"), code: "CHANNEL_REJECTED", providerCode: 21408, says: /SMS to \+44 (\(United Kingdom\) )?numbers.*Geo Permissions/ },
    { name: "21610 opted out (STOP)", arrange: () => kit.fake.optedOut.add(TO), code: "CHANNEL_REJECTED", providerCode: 21610, says: /opted out.*START/ },
    { name: "21612 cannot route", arrange: () => kit.fake.unroutable.add(TO), code: "CHANNEL_REJECTED", providerCode: 21612, says: /cannot carry a text/ },
    { name: "21614 not a mobile", arrange: () => kit.fake.landlines.add(TO), code: "CHANNEL_REJECTED", providerCode: 21614, says: /not a mobile number/ },
    { name: "21606 From cannot send SMS", config: () => ({ from: "+15005550009" }), code: "CHANNEL_REJECTED", providerCode: 21606, says: /sender \+15005550009 cannot send SMS/ },
    { name: "another 4xx (unknown Messaging Service)", config: () => ({ from: undefined, messagingServiceSid: fakeSid("MG") }), code: "CHANNEL_REJECTED", providerCode: 21701, says: /Twilio error 21701/ },
    { name: "20003 bad credentials", config: () => ({ auth: { kind: "authToken", authToken: "wrong-token" } }), code: "UPSTREAM_AUTH_FAILED", providerCode: 20003, says: /Account SID and the auth token or API key/ },
    {
      name: "20404 key of another account",
      config: () => ({ accountSid: kit.fake.accounts[1]?.sid, auth: apiKeyAuth(kit.fake), statusCallbacks: false }),
      code: "UPSTREAM_AUTH_FAILED",
      providerCode: 20404,
      says: /does not know the configured account/,
    },
  ];

  for (const c of cases) {
    it(`maps ${c.name} to ${c.code} in Verity's own words`, async () => {
      c.arrange?.();
      const to = c.to ?? TO;
      let caught: unknown;
      try {
        await kit.channel(c.config?.() ?? {}).send(message({ to }));
      } catch (error) {
        caught = error;
      }
      assert.ok(isVerityError(caught), `expected a VerityError, got ${String(caught)}`);
      assert.equal(caught.code, c.code);
      assert.match(caught.message, c.says);
      assert.deepEqual(caught.details, { provider: "twilio", httpStatus: kit.fake.requests[0]?.response?.status, providerCode: c.providerCode });
      const twilioText = String((kit.fake.requests[0]?.response?.body as { message?: string } | undefined)?.message);
      assert.ok(!shown(caught).includes(twilioText), "Twilio's message text must not be repeated");
      assert.ok(!shown(caught).includes(to) && !shown(caught).includes(to.slice(1)), "the full number must not be shown");
      assert.ok(hidesNumber(kit.logs.join("\n")) && !kit.logs.join("\n").includes(to.slice(1)), "the full number must not be logged");
      assert.equal(kit.fake.messages.length, 0);
    });
  }

  it("names the number only in masked form", async () => {
    kit.fake.optedOut.add(TO);
    await assert.rejects(kit.channel().send(message()), (e: unknown) => isVerityError(e) && e.message.includes(TO_MASKED) && hidesNumber(shown(e)));
  });
});
