import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { statusCallbackAuthToken } from "../../../src/adapters/channel/twilio-sms/twilio-config.js";
import { validateTwilioSignature } from "../../../src/adapters/channel/twilio-sms/twilio-signature.js";
import { describeDeliveryError, parseStatusCallback, statusOutcome } from "../../../src/adapters/channel/twilio-sms/twilio-status-callback.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { fakeSid } from "../../fakes/twilio/fake-twilio.js";
import { apiKeyAuth, configFor, message, startTwilioKit, type TwilioKit } from "./twilio-kit.js";

const SM = fakeSid("SM");
const AC = fakeSid("AC");

describe("parseStatusCallback", () => {
  const form = { MessageSid: SM, SmsSid: SM, AccountSid: AC, MessageStatus: "delivered", SmsStatus: "delivered", To: "+447700900123", ApiVersion: "2010-04-01" };

  it("reads a callback and ignores parameters it does not know", () => {
    assert.deepEqual(parseStatusCallback({ ...form, RawDlrDoneDate: "2401011200", Brand: "new" }), { messageSid: SM, accountSid: AC, status: "delivered", errorCode: null });
    assert.deepEqual(parseStatusCallback(new URLSearchParams(form)), { messageSid: SM, accountSid: AC, status: "delivered", errorCode: null });
  });

  it("reads the error code of a failed text", () => {
    assert.equal(parseStatusCallback({ ...form, MessageStatus: "undelivered", ErrorCode: "30003" })?.errorCode, 30003);
    assert.equal(parseStatusCallback({ ...form, ErrorCode: "" })?.errorCode, null);
  });

  it("refuses what is not a status callback", () => {
    assert.equal(parseStatusCallback({ ...form, MessageStatus: "teleported" }), null);
    assert.equal(parseStatusCallback({ ...form, MessageSid: "SM123" }), null);
    assert.equal(parseStatusCallback({ ...form, AccountSid: undefined }), null);
    assert.equal(parseStatusCallback({ ...form, MessageStatus: ["sent", "delivered"] }), null);
    assert.equal(parseStatusCallback({ ...form, ErrorCode: "30003; drop table" }), null);
  });

  it("sorts statuses into pending, delivered and failed, and explains delivery errors", () => {
    assert.deepEqual(
      (["queued", "sent", "delivered", "read", "undelivered", "failed", "canceled", "accepted"] as const).map(statusOutcome),
      ["pending", "pending", "delivered", "delivered", "failed", "failed", "failed", "pending"],
    );
    assert.match(describeDeliveryError(30003), /switched off/);
    assert.equal(describeDeliveryError(30999), "Twilio error 30999");
    assert.equal(describeDeliveryError(null), "Twilio gave no reason");
  });
});

interface Received {
  readonly url: string;
  readonly signature: string | undefined;
  readonly form: URLSearchParams;
}

describe("the fake's status callbacks verify with Verity's helpers", () => {
  let kit: TwilioKit;
  let receiver: Server;
  let callbackUrl: string;
  const received: Received[] = [];
  before(async () => {
    kit = await startTwilioKit({ autoCallbacks: false });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const signature = req.headers["x-twilio-signature"];
        received.push({ url: req.url ?? "", signature: typeof signature === "string" ? signature : undefined, form: new URLSearchParams(Buffer.concat(chunks).toString("utf8")) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/twilio/acme-sms?tenant=acme`;
  });
  beforeEach(() => {
    kit.fake.reset();
    received.length = 0;
  });
  after(async () => {
    await kit.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  const verify = (token: string, r: Received) =>
    validateTwilioSignature({ authToken: token, url: callbackUrl, params: Object.fromEntries(r.form), signature: r.signature });

  it("posts a signed, parsable callback for each status change", async () => {
    const config = configFor(kit.fake);
    const receipt = await kit.channel({}, { statusCallbackUrl: callbackUrl }).send(message());
    const sid = receipt.providerRef ?? "";
    await kit.fake.deliver(sid, "sent");
    await kit.fake.deliver(sid, "undelivered", 30003);
    const token = statusCallbackAuthToken(config)?.reveal() ?? "";
    assert.equal(received.length, 2);
    for (const r of received) assert.equal(verify(token, r), true);
    assert.equal(verify("not-the-token", received[0] as Received), false);
    assert.deepEqual(parseStatusCallback(received[1]?.form ?? new URLSearchParams()), {
      messageSid: sid,
      accountSid: kit.fake.account.sid,
      status: "undelivered",
      errorCode: 30003,
    });
    assert.deepEqual([...new Set(received[0]?.form.keys())].sort(), ["AccountSid", "ApiVersion", "From", "MessageSid", "MessageStatus", "SmsSid", "SmsStatus", "To"]);
    assert.equal(kit.fake.callbacks.every((c) => c.responseStatus === 204), true);
  });

  it("sends queued, sent and delivered by itself when asked, signed with the account Auth Token", async () => {
    const auto = await startTwilioKit({ autoCallbacks: true, callbackDelayMs: 1 });
    try {
      const settings = { auth: apiKeyAuth(auto.fake), webhookAuthToken: auto.fake.account.authToken };
      const token = statusCallbackAuthToken(configFor(auto.fake, settings))?.reveal() ?? "";
      assert.equal(token, auto.fake.account.authToken);
      await auto.channel(settings, { statusCallbackUrl: callbackUrl }).send(message());
      await auto.fake.waitFor(() => received.length >= 3);
      assert.deepEqual(received.map((r) => r.form.get("MessageStatus")), ["queued", "sent", "delivered"]);
      assert.ok(received.every((r) => verify(token, r)));
      assert.ok(received.every((r) => !verify(settings.auth.keySecret, r)), "an API key secret does not sign callbacks");
    } finally {
      await auto.close();
    }
  });

  it("refuses a StatusCallback whose host name has an underscore, as Twilio does", async () => {
    await assert.rejects(
      kit.channel({}, { statusCallbackUrl: "https://verity_desk.example/hooks/twilio" }).send(message()),
      (e: unknown) => isVerityError(e) && e.code === "CHANNEL_REJECTED" && /Twilio error 21609/.test(e.message),
    );
    assert.equal(kit.fake.messages.length, 0);
  });
});
