import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { freePort } from "../../helpers/net.js";
import { apiKeyAuth, startTwilioKit, type TwilioKit } from "./twilio-kit.js";

describe("Twilio: the connection test", () => {
  let kit: TwilioKit;
  before(async () => {
    kit = await startTwilioKit({ accounts: [{ senders: ["+15005550006"], voiceOnly: ["+15005550009"] }] });
  });
  after(() => kit.close());
  beforeEach(() => kit.fake.reset());

  it("reads the sender among the account's numbers, and sends nothing", async () => {
    const result = await kit.channel().probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.equal(result.detail, `Twilio accepted the credentials for account ${kit.fake.account.sid}, which owns the sender +15005550006 (SMS-capable). Nothing was sent.`);
    assert.deepEqual(
      kit.fake.requests.map((r) => `${r.method} ${r.path}${r.query}`),
      [`GET /2010-04-01/Accounts/${kit.fake.account.sid}/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550006`],
    );
    assert.equal(kit.fake.messages.length, 0);
  });

  it("works with a Standard API key, which may not read the Account resource", async () => {
    const result = await kit.channel({ auth: apiKeyAuth(kit.fake), webhookAuthToken: kit.fake.account.authToken }).probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.ok(!kit.fake.requests.some((r) => /\/Accounts\/[^/]+\.json$/.test(r.path)));
  });

  it("checks a Messaging Service on Twilio's messaging host instead of a sender", async () => {
    const [service] = kit.fake.account.messagingServices;
    const config = { from: undefined, messagingServiceSid: service, messagingBaseUrl: kit.fake.baseUrl };
    const result = await kit.channel(config).probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, new RegExp(`its Messaging Service ${service ?? ""} \\("Verity codes"\\) exists`));
    assert.deepEqual(kit.fake.requests.map((r) => r.path), [`/v1/Services/${service ?? ""}`]);
    const other = await kit.channel({ ...config, messagingServiceSid: `MG${"0".repeat(32)}` }).probe?.();
    assert.equal(other?.ok, false);
    assert.match(other.detail, /has no Messaging Service MG0{32}\. Check messagingServiceSid/);
  });

  it("says a sender the account does not own, or one that cannot text, would fail", async () => {
    const missing = await kit.channel({ from: "+15005550001" }).probe?.();
    assert.equal(missing?.ok, false);
    assert.match(missing.detail, /has no number \+15005550001, so texts from it would fail \(21606\)/);
    const voice = await kit.channel({ from: "+15005550009" }).probe?.();
    assert.equal(voice?.ok, false);
    assert.match(voice.detail, /its number \+15005550009 cannot send SMS \(21606\)/);
  });

  it("says the credentials are wrong, without repeating them", async () => {
    const result = await kit.channel({ auth: { kind: "authToken", authToken: "f".repeat(32) } }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Twilio refused Verity's credentials\. An administrator must check the Account SID and the auth token or API key/);
    assert.ok(!result.detail.includes("f".repeat(32)) && !result.detail.includes(kit.fake.account.authToken));
  });

  it("says an Account SID the credentials do not belong to is not theirs", async () => {
    const result = await kit.channel({ accountSid: `AC${"1".repeat(32)}`, auth: apiKeyAuth(kit.fake), statusCallbacks: false }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Twilio does not know the configured account, or these credentials cannot use it/);
  });

  it("says Twilio cannot be reached", async () => {
    const result = await kit.channel({ baseUrl: `http://127.0.0.1:${await freePort()}` }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Twilio could not be reached \(ECONNREFUSED\)\. Check baseUrl/);
  });
});
