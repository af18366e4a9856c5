import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { pushRequest, startDuoKit, type DuoKit } from "./duo-kit.js";

describe("Duo push: long-poll pacing", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit({ holdMs: 200, pushTimeoutMs: 10_000 });
  });
  beforeEach(() => {
    kit.fake.reset();
    kit.fake.setCaller("jdoe", { action: "ignore" });
  });
  after(() => kit.close());

  it("answers waiting with nextPollAfterMs 0 after Duo held the poll", async () => {
    const duo = kit.provider();
    const { transactionRef } = await duo.startPush(pushRequest());
    const first = await duo.pollPush(transactionRef);
    assert.match(first.detail ?? "", /Pushed a login request/);
    const started = Date.now();
    const held = await duo.pollPush(transactionRef);
    assert.ok(Date.now() - started >= 180, "the fake held the poll");
    assert.deepEqual({ outcome: held.outcome, next: held.nextPollAfterMs }, { outcome: "waiting", next: 0 });
  });

  it("slows down when something in front of Duo answers at once instead of holding", async () => {
    const quick = await startDuoKit({ holdMs: 0, pushTimeoutMs: 10_000 });
    try {
      quick.fake.setCaller("jdoe", { action: "ignore" });
      const duo = quick.provider();
      const { transactionRef } = await duo.startPush(pushRequest());
      assert.equal((await duo.pollPush(transactionRef)).nextPollAfterMs, 0, "the first answer is a real update");
      const repeated = await duo.pollPush(transactionRef);
      assert.equal(repeated.outcome, "waiting");
      assert.equal(repeated.nextPollAfterMs, 1000);
    } finally {
      await quick.close();
    }
  });
});

describe("Duo Verified Push", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit({ holdMs: 2000, pushTimeoutMs: 5000 });
  });
  beforeEach(() => {
    kit.fake.reset();
    kit.fake.setCaller("vp", { action: "approve", afterMs: 100 });
  });
  after(() => kit.close());

  const onlyTx = () => {
    const [tx] = kit.fake.transactions;
    assert.ok(tx !== undefined && kit.fake.transactions.length === 1);
    return tx;
  };

  it("passes preauth's txid to /auth, targets the push device and returns the code to read out", async () => {
    const duo = kit.provider({ verifiedPush: true });
    const started = await duo.startPush(pushRequest({ providerUserId: "vp" }));
    const tx = onlyTx();
    assert.ok(tx.verificationCode !== null);
    assert.equal(started.numberChallenge, tx.verificationCode);
    assert.equal(tx.device, "DPFZRS9FB0D46QFTM899");
    const preauth = kit.fake.requests.find((r) => r.path === "/auth/v2/preauth");
    assert.deepEqual(Object.fromEntries(preauth?.params ?? []), { client_supports_verified_push: "1", username: "vp" });
    const status = await duo.pollPush(started.transactionRef);
    assert.equal(status.outcome, "approved");
  });

  it("reports a wrong code typed in Duo Mobile as denied", async () => {
    kit.fake.setCaller("vp", { action: "approve", afterMs: 50, typesCode: "wrong" });
    const duo = kit.provider({ verifiedPush: true });
    const started = await duo.startPush(pushRequest({ providerUserId: "vp" }));
    assert.equal((await duo.pollPush(started.transactionRef)).outcome, "denied");
  });

  it("takes the code from /preauth when Duo puts it there, leaving the first update to the poller", async () => {
    const other = await startDuoKit({ holdMs: 2000, verifiedPushCodeIn: "preauth" });
    try {
      other.fake.setCaller("vp", { action: "ignore" });
      const duo = other.provider({ verifiedPush: true });
      const started = await duo.startPush(pushRequest({ providerUserId: "vp" }));
      assert.equal(started.numberChallenge, other.fake.transactions[0]?.verificationCode);
      assert.equal(other.fake.requests.filter((r) => r.path === "/auth/v2/auth_status").length, 0);
      const first = await duo.pollPush(started.transactionRef);
      assert.match(first.detail ?? "", /verification code/);
    } finally {
      await other.close();
    }
  });

  it("still sends the push, without a code and with a warning, when Duo does not disclose it", async () => {
    kit.fake.setCaller("vp", { action: "ignore" });
    kit.fake.failNext("503", { path: "/auth/v2/auth_status" });
    const duo = kit.provider({ verifiedPush: true });
    const started = await duo.startPush(pushRequest({ providerUserId: "vp" }));
    assert.equal(started.numberChallenge, undefined);
    assert.equal(started.transactionRef, onlyTx().txid);
    assert.ok(kit.logs.some((l) => l.includes("did not disclose the Verified Push code")));
    assert.equal(kit.fake.requests.filter((r) => r.path === "/auth/v2/auth_status").length, 1, "one bounded try");
  });

  it("sends a plain push when the user's policy does not ask for Verified Push", async () => {
    const duo = kit.provider({ verifiedPush: true });
    const started = await duo.startPush(pushRequest({ providerUserId: "jdoe" }));
    assert.equal(started.numberChallenge, undefined);
    assert.equal(onlyTx().params.txid, undefined);
  });

  it("refuses to push to a bypassed user when it looks first", async () => {
    const duo = kit.provider({ verifiedPush: true });
    await assert.rejects(duo.startPush(pushRequest({ providerUserId: "bypassed" })), (e: Error & { code?: string }) => e.code === "NO_USABLE_FACTOR" && /bypass/.test(e.message));
    assert.equal(kit.fake.transactions.length, 0);
  });
});
