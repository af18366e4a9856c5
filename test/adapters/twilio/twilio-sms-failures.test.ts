import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, beforeEach, describe, it } from "node:test";
import { isVerityError, type VerityError } from "../../../src/domain/errors.js";
import { CODE, hidesNumber, message, shown, startTwilioKit, type TwilioKit } from "./twilio-kit.js";

const failsWith = (code: string, check: (e: VerityError) => boolean = () => true) => (e: unknown) =>
  isVerityError(e) && e.code === code && hidesNumber(shown(e)) && check(e);

describe("Twilio SMS channel: rate limits and ambiguous failures", () => {
  let kit: TwilioKit;
  before(async () => {
    kit = await startTwilioKit({ retryAfterSeconds: 0 });
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const sends = () => kit.fake.requests.filter((r) => r.method === "POST").length;
  /** Long enough for a wrongly repeated send to have arrived. */
  const settle = () => sleep(150);

  it("retries a 429 (Twilio never processed it) and then succeeds", async () => {
    kit.fake.failNext("429", 2);
    const receipt = await kit.channel().send(message());
    assert.equal(sends(), 3);
    assert.equal(kit.fake.messages.length, 1);
    assert.equal(receipt.providerRef, kit.fake.messages[0]?.sid);
  });

  it("gives up after repeated 429s with CHANNEL_UNAVAILABLE and a retry hint", async () => {
    kit.fake.failNext("429", 10);
    await assert.rejects(kit.channel().send(message()), failsWith("CHANNEL_UNAVAILABLE", (e) => e.retryable && e.retryAfterSeconds === 1));
    assert.equal(sends(), 4);
    assert.equal(kit.fake.messages.length, 0);
  });

  it("says DELIVERY_UNKNOWN on a 500, which Twilio may have accepted, and never resends", async () => {
    kit.fake.failNext("500");
    await assert.rejects(kit.channel().send(message()), failsWith("DELIVERY_UNKNOWN", (e) => !e.retryable && /may still be delivered/.test(e.message)));
    await settle();
    assert.equal(sends(), 1);
    assert.equal(kit.fake.messages.length, 1);
  });

  it("says DELIVERY_UNKNOWN on a 503 too: the client cannot tell whether Twilio took it", async () => {
    kit.fake.failNext("503");
    await assert.rejects(kit.channel().send(message()), failsWith("DELIVERY_UNKNOWN"));
    await settle();
    assert.equal(sends(), 1);
  });

  it("says DELIVERY_UNKNOWN when Twilio accepts but never answers, and sends exactly once", async () => {
    kit.fake.failNext("hang");
    const started = Date.now();
    await assert.rejects(kit.channel({ timeoutMs: 300 }).send(message()), failsWith("DELIVERY_UNKNOWN", (e) => /may have been sent/.test(e.message)));
    assert.ok(Date.now() - started < 3000);
    await settle();
    assert.equal(sends(), 1);
    assert.equal(kit.fake.messages.length, 1);
  });

  it("says DELIVERY_UNKNOWN when the connection is reset after the request left", async () => {
    kit.fake.failNext("reset");
    await assert.rejects(kit.channel().send(message()), failsWith("DELIVERY_UNKNOWN"));
    await settle();
    assert.equal(sends(), 1);
    assert.equal(kit.fake.messages.length, 1);
  });

  it("keeps the number, the code and the credentials out of the logs", () => {
    const text = kit.logs.join("\n");
    assert.ok(kit.logs.length > 0);
    assert.ok(hidesNumber(text));
    assert.ok(!text.includes(CODE));
    assert.ok(!text.includes(kit.fake.account.authToken));
  });
});

describe("Twilio SMS channel: unreachable Twilio", () => {
  it("says CHANNEL_UNAVAILABLE when the connection is refused: nothing was sent", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const kit = await startTwilioKit();
    try {
      await assert.rejects(
        kit.channel({ baseUrl: `http://127.0.0.1:${port}` }).send(message()),
        failsWith("CHANNEL_UNAVAILABLE", (e) => e.retryable && /nothing was sent/.test(e.message)),
      );
    } finally {
      await kit.close();
    }
  });

  it("uses a default retry hint when a 429 carries no Retry-After", async () => {
    const kit = await startTwilioKit();
    try {
      kit.fake.failNext("429", 10);
      await assert.rejects(kit.channel().send(message()), failsWith("CHANNEL_UNAVAILABLE", (e) => e.retryAfterSeconds === 5));
      assert.equal(kit.fake.messages.length, 0);
    } finally {
      await kit.close();
    }
  });
});

describe("Twilio SMS channel: circuit breaker (SECURITY.md R2)", () => {
  let kit: TwilioKit;
  before(async () => {
    kit = await startTwilioKit({ retryAfterSeconds: 0 });
  });
  after(() => kit.close());

  it("after 5 outages in 10 s refuses at once without calling Twilio, then probes after 30 s", async () => {
    let now = Date.parse("2026-11-23T09:00:00Z");
    const channel = kit.channel({}, { now: () => now });
    kit.fake.failNext("503", 5);
    for (let i = 0; i < 5; i += 1) {
      await assert.rejects(channel.send(message()), (e: unknown) => isVerityError(e) && e.code !== "CHANNEL_REJECTED");
      now += 500;
    }
    const posts = kit.fake.requests.length;
    await assert.rejects(
      channel.send(message()),
      failsWith("CHANNEL_UNAVAILABLE", (e) => /not trying it for 30 s\. Nothing was sent: use another method/.test(e.message) && e.retryAfterSeconds === 30),
    );
    assert.equal(kit.fake.requests.length, posts, "no request while the circuit is open");
    now += 30_000;
    const receipt = await channel.send(message());
    assert.match(receipt.providerRef ?? "", /^SM/);
    assert.equal((await channel.send(message())).providerRef === undefined, false, "closed again after the probe");
  });

  it("does not open for texts Twilio refuses one by one (a bad number is not an outage)", async () => {
    const channel = kit.channel();
    kit.fake.optedOut.add("+447700900777");
    for (let i = 0; i < 6; i += 1) {
      await assert.rejects(channel.send(message({ to: "+447700900777" })), failsWith("CHANNEL_REJECTED"));
    }
    assert.match((await channel.send(message())).providerRef ?? "", /^SM/);
  });
});
