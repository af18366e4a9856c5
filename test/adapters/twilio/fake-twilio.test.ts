import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startFakeTwilio, type FakeTwilio } from "../../fakes/twilio/fake-twilio.js";

// The fake stands in for Twilio in every other test, so its own behaviour is pinned here.
describe("fake Twilio", () => {
  let fake: FakeTwilio;
  before(async () => {
    fake = await startFakeTwilio();
  });
  beforeEach(() => fake.reset());
  after(() => fake.close());

  const basic = (user = fake.account.sid, password = fake.account.authToken) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const send = async (fields: Record<string, string>, authorization = basic()) => {
    const response = await fetch(`${fake.baseUrl}/2010-04-01/Accounts/${fake.account.sid}/Messages.json`, {
      method: "POST",
      headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const valid = () => ({ To: "+447700900123", From: fake.account.senders[0] ?? "", Body: "123456 is your code" });

  it("creates a message shaped like the spec's example and lets it be fetched", async () => {
    const created = await send(valid());
    assert.equal(created.status, 201);
    assert.match(String(created.body.date_created), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.deepEqual([created.body.status, created.body.num_segments, created.body.num_media, created.body.direction], ["queued", "1", "0", "outbound-api"]);
    const fetched = await fetch(`${fake.baseUrl}${String(created.body.uri)}`, { headers: { authorization: basic() } });
    assert.equal(fetched.status, 200);
    assert.equal(((await fetched.json()) as { sid: string }).sid, created.body.sid);
    const missing = await fetch(`${fake.baseUrl}/2010-04-01/Accounts/${fake.account.sid}/Messages/SM${"0".repeat(32)}.json`, { headers: { authorization: basic() } });
    assert.deepEqual([missing.status, ((await missing.json()) as { code: number }).code], [404, 20404]);
  });

  it("starts a Messaging Service message as accepted with no sender yet", async () => {
    const { To, Body } = valid();
    const created = await send({ To, Body, MessagingServiceSid: fake.account.messagingServices[0] ?? "" });
    assert.deepEqual([created.status, created.body.status, created.body.from, created.body.num_segments], [201, "accepted", null, "0"]);
  });

  it("counts segments the way carriers do", async () => {
    const long = await send({ ...valid(), Body: "a".repeat(161) });
    const unicode = await send({ ...valid(), Body: "\u0416".repeat(71) });
    assert.deepEqual([long.body.num_segments, unicode.body.num_segments], ["2", "2"]);
  });

  const errors: [string, Record<string, string>, number, number][] = [
    ["no To", { To: "" }, 400, 21604],
    ["a To that is not E.164", { To: "07700900123" }, 400, 21211],
    ["no sender", { From: "" }, 400, 21603],
    ["a sender the account does not own", { From: "+15005550009" }, 400, 21606],
    ["no Body", { Body: "" }, 400, 21602],
    ["a Body over 1600 characters", { Body: "x".repeat(1601) }, 400, 21617],
    ["a StatusCallback host with an underscore", { StatusCallback: "https://my_host.example/cb" }, 400, 21609],
    ["a StatusCallback that is not a URL", { StatusCallback: "not a url" }, 400, 21609],
    ["ValidityPeriod 0", { ValidityPeriod: "0" }, 400, 90007],
    ["ValidityPeriod 36001", { ValidityPeriod: "36001" }, 400, 90007],
    ["ValidityPeriod 1.5", { ValidityPeriod: "1.5" }, 400, 90014],
  ];
  for (const [what, change, status, code] of errors) {
    it(`refuses ${what} with ${code}`, async () => {
      const fields = Object.fromEntries(Object.entries({ ...valid(), ...change }).filter(([, v]) => v !== ""));
      const reply = await send(fields);
      assert.deepEqual([reply.status, reply.body.code, reply.body.status, reply.body.more_info], [status, code, status, `https://www.twilio.com/docs/errors/${code}`]);
      assert.equal(fake.messages.length, 0);
    });
  }

  it("accepts a ValidityPeriod inside 1..36000 and a valid callback URL", async () => {
    const reply = await send({ ...valid(), ValidityPeriod: "36000", StatusCallback: "https://verity.example/hooks/twilio?x=1" });
    assert.equal(reply.status, 201);
    assert.equal(fake.messages[0]?.validityPeriod, 36_000);
  });

  it("authenticates with the Auth Token or an API key and answers 20003 otherwise", async () => {
    const key = fake.account.apiKeys[0];
    assert.equal((await send(valid(), basic(key?.sid, key?.secret))).status, 201);
    const refused = await send(valid(), basic(fake.account.sid, "wrong"));
    assert.deepEqual([refused.status, refused.body.code], [401, 20003]);
    assert.deepEqual([(await send(valid(), "Bearer x")).status], [401]);
  });

  it("records every request as it arrived", async () => {
    await send(valid());
    const [request] = fake.requests;
    assert.deepEqual([request?.method, request?.form.To, request?.response?.status], ["POST", ["+447700900123"], 201]);
    assert.match(String(request?.headers.authorization), /^Basic /);
  });

  it("answers 429 with code 20429 for the next sends it was told to, recording no message", async () => {
    fake.failNext("429", 2);
    const first = await send(valid());
    const second = await send(valid());
    const third = await send(valid());
    assert.deepEqual([first.status, first.body.code, second.status, third.status], [429, 20429, 429, 201]);
    assert.equal(fake.messages.length, 1);
  });

  it("records the message before failing with 500, so the outcome is open", async () => {
    fake.failNext("500");
    assert.equal((await send(valid())).status, 500);
    assert.equal(fake.messages.length, 1);
  });
});
