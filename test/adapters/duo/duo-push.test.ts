import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { PUSHINFO_LIMIT_BYTES } from "../../fakes/duo/fake-duo.js";
import { pushRequest, rejectsWith, startDuoKit, type DuoKit } from "./duo-kit.js";

describe("Duo push: start, long poll, outcomes", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit({ holdMs: 3000, pushTimeoutMs: 1000 });
  });
  beforeEach(() => {
    kit.fake.reset();
    kit.fake.setCaller("jdoe", { action: "approve", afterMs: 150 });
  });
  after(() => kit.close());

  const polls = () => kit.fake.requests.filter((r) => r.path === "/auth/v2/auth_status");
  const onlyTx = () => {
    const [tx] = kit.fake.transactions;
    assert.ok(tx !== undefined && kit.fake.transactions.length === 1);
    return tx;
  };

  it("sends an async push with the configured type, the caller's name and the pushinfo", async () => {
    const duo = kit.provider();
    const started = await duo.startPush(pushRequest());
    const tx = onlyTx();
    assert.equal(started.transactionRef, tx.txid);
    assert.equal(started.numberChallenge, undefined);
    assert.deepEqual(
      { factor: tx.params.factor, device: tx.params.device, async: tx.params.async, type: tx.params.type, display_username: tx.params.display_username },
      { factor: "push", device: "auto", async: "1", type: "Caller verification", display_username: "Jane Doe" },
    );
    assert.deepEqual(tx.pushinfo, {
      Organisation: "Acme Ltd",
      Technician: "Alice",
      Ticket: "1042",
      Message: pushRequest().message,
    });
    assert.equal(duo.kind, "duo");
    assert.equal(duo.pollIntervalMs, 0);
  });

  it("reports the approval as soon as the caller approves: one held long poll, no busy polling", async () => {
    kit.fake.setCaller("jdoe", { action: "approve", afterMs: 500 });
    const duo = kit.provider();
    const { transactionRef } = await duo.startPush(pushRequest());
    const first = await duo.pollPush(transactionRef);
    assert.deepEqual({ outcome: first.outcome, next: first.nextPollAfterMs }, { outcome: "waiting", next: 0 });
    const second = await duo.pollPush(transactionRef);
    const answeredAt = onlyTx().answeredAt;
    assert.equal(second.outcome, "approved");
    assert.ok(answeredAt !== null);
    assert.ok(Date.now() - answeredAt < 250, `the long poll returned ${Date.now() - answeredAt} ms after the approval`);
    assert.equal(polls().length, 2);
    const held = polls()[1];
    assert.ok(held?.response !== null && held !== undefined && held.response.at - held.receivedAt >= 300, "the second poll was held until the change");
  });

  it("reports a timeout when nobody answers, as soon as Duo gives up", async () => {
    kit.fake.setCaller("jdoe", { action: "ignore" });
    const duo = kit.provider();
    const { transactionRef } = await duo.startPush(pushRequest());
    assert.equal((await duo.pollPush(transactionRef)).outcome, "waiting");
    const status = await duo.pollPush(transactionRef);
    assert.equal(status.outcome, "timeout", "the fake's 1 s push timeout ends the held poll");
    assert.match(status.detail ?? "", /gave up/);
  });

  for (const [decision, outcome, detail] of [
    ["deny", "denied", /Denied in Duo Mobile/],
    ["fraud", "fraud", /fraudulent/],
    ["timeout", "timeout", /gave up/],
  ] as const) {
    it(`maps a ${decision} answer to ${outcome}`, async () => {
      kit.fake.setCaller("jdoe", { action: "ignore" });
      const duo = kit.provider();
      const { transactionRef } = await duo.startPush(pushRequest());
      await duo.pollPush(transactionRef);
      const polled = duo.pollPush(transactionRef);
      await kit.fake.waitFor(() => kit.fake.heldPolls === 1);
      kit.fake.answer(transactionRef, decision);
      const status = await polled;
      assert.equal(status.outcome, outcome);
      assert.match(status.detail ?? "", detail);
    });
  }

  it("reports a scripted fraud report and a scripted denial", async () => {
    const duo = kit.provider();
    kit.fake.setCaller("jdoe", { action: "fraud", afterMs: 50 });
    const fraud = await duo.startPush(pushRequest());
    await duo.pollPush(fraud.transactionRef);
    assert.equal((await duo.pollPush(fraud.transactionRef)).outcome, "fraud");
    kit.fake.setCaller("jdoe", { action: "deny", afterMs: 50 });
    const denied = await duo.startPush(pushRequest());
    await duo.pollPush(denied.transactionRef);
    assert.equal((await duo.pollPush(denied.transactionRef)).outcome, "denied");
  });

  it("never takes a bypassed user's automatic allow as an approval, nor as the caller's denial", async () => {
    const duo = kit.provider();
    const { transactionRef } = await duo.startPush(pushRequest({ providerUserId: "bypassed" }));
    const status = await duo.pollPush(transactionRef);
    assert.equal(status.outcome, "failed");
    assert.match(status.detail ?? "", /bypass/);
  });

  it("throws when a poll gets no answer, even though the caller approved meanwhile", async () => {
    const duo = kit.provider({}, { retry: { maxRetries: 0 } });
    const { transactionRef } = await duo.startPush(pushRequest());
    await kit.fake.waitFor(() => onlyTx().result === "allow");
    kit.fake.failNext("reset", { path: "/auth/v2/auth_status" });
    await rejectsWith(duo.pollPush(transactionRef), "PROVIDER_UNAVAILABLE");
    kit.fake.failNext("500", { path: "/auth/v2/auth_status" });
    await rejectsWith(duo.pollPush(transactionRef), "PROVIDER_UNAVAILABLE");
    assert.equal((await duo.pollPush(transactionRef)).outcome, "approved");
  });

  it("gives up on a long poll that outlasts its own timeout, and says so", async () => {
    const duo = kit.provider({ longPollTimeoutMs: 300 }, { retry: { maxRetries: 0 } });
    kit.fake.setCaller("jdoe", { action: "ignore" });
    const { transactionRef } = await duo.startPush(pushRequest());
    await duo.pollPush(transactionRef);
    kit.fake.failNext("hang", { path: "/auth/v2/auth_status" });
    const error = await rejectsWith(duo.pollPush(transactionRef), "PROVIDER_UNAVAILABLE");
    assert.match(error.message, /did not answer within 300 ms/);
  });

  it("rejects an unknown transaction with PROVIDER_ERROR", async () => {
    await rejectsWith(kit.provider().pollPush("00000000-0000-0000-0000-000000000000"), "PROVIDER_ERROR");
  });

  it("cancels nothing (Duo has no cancel) and still resolves", async () => {
    const duo = kit.provider();
    const before = kit.fake.requests.length;
    await duo.cancelPush("any-txid");
    assert.equal(kit.fake.requests.length, before);
  });

  it("encodes pushinfo so reserved characters survive, and keeps it under Duo's 20,000 bytes", async () => {
    const duo = kit.provider();
    const organisation = "Smith & Sons (UK) = 100% *fun*! O'Neil + Partners";
    await duo.startPush(pushRequest({ context: { organisation, technician: "the service desk", ticket: "T-9 / 42?" } }));
    assert.deepEqual(onlyTx().pushinfo, { Organisation: organisation, Technician: "the service desk", Ticket: "T-9 / 42?", Message: pushRequest().message });
    kit.fake.reset();
    const huge = "Überprüfung 🔐 ".repeat(4000);
    await duo.startPush(pushRequest({ message: huge, context: { organisation: "Acme", technician: "Alice", ticket: null } }));
    const sent = onlyTx().params.pushinfo ?? "";
    assert.ok(Buffer.byteLength(sent, "utf8") < PUSHINFO_LIMIT_BYTES, `pushinfo is ${Buffer.byteLength(sent, "utf8")} bytes`);
    assert.ok(Buffer.byteLength(sent, "utf8") > PUSHINFO_LIMIT_BYTES - 200, "the message is shortened, not dropped");
    const message = onlyTx().pushinfo.Message ?? "";
    assert.ok(message.endsWith("…") && huge.startsWith(message.slice(0, -1)));
    assert.equal(onlyTx().pushinfo.Ticket, undefined);
  });
});
