import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { decodeTransactionRef, encodeTransactionRef, pushStatusFrom, VIP_POLL_INTERVAL_MS } from "../../../src/adapters/push/vip/vip-push-provider.js";
import { isVerityError, type ErrorCode } from "../../../src/domain/errors.js";
import { pushRequest, shown, sleep, startVipKit, warm, type VipKit } from "./vip-kit.js";

const rejectsWith = (code: ErrorCode, text?: RegExp) => (error: unknown) => {
  assert.ok(isVerityError(error), `expected a VerityError, got ${String(error)}`);
  assert.equal(error.code, code, shown(error));
  if (text !== undefined) assert.match(shown(error), text);
  return true;
};

describe("VIP push: starting and polling", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  it("is a real, polled provider", () => {
    const vip = kit.provider();
    assert.deepEqual([vip.kind, vip.developmentOnly, vip.name], ["vip", false, "vip"]);
    assert.ok((vip.pollIntervalMs ?? Infinity) <= 750);
    assert.equal(vip.pollIntervalMs, VIP_POLL_INTERVAL_MS);
  });

  it("sends the push, waits while the caller decides, then reports the approval", async () => {
    kit.fake.setCaller("jdoe", { answer: "ignore" });
    const vip = kit.provider({ profile: "https://sso.acme.example" });
    const started = await vip.startPush(pushRequest());
    const [tx] = kit.fake.transactions.values();
    assert.ok(tx !== undefined);
    assert.equal(decodeTransactionRef(started.transactionRef), tx.transactionId);
    assert.equal(started.numberChallenge, undefined);
    assert.deepEqual(tx.displayParameters, {
      "display.message.title": "Acme service desk",
      "display.message.text": pushRequest().message,
      "display.message.profile": "https://sso.acme.example",
      "push.message.text": "Acme service desk",
    });
    assert.deepEqual(tx.requestParameters, { "request.timeout": "120" });
    assert.deepEqual(await vip.pollPush(started.transactionRef), { outcome: "waiting" });
    assert.deepEqual(await vip.pollPush(started.transactionRef), { outcome: "waiting" });
    kit.fake.answer(tx.transactionId, "approve");
    assert.deepEqual(await vip.pollPush(started.transactionRef), { outcome: "approved", detail: "Approved in VIP Access" });
    assert.deepEqual(
      kit.fake.requests.map((r) => [r.path.split("/").pop(), r.operation]),
      [
        ["AuthenticationService_1_7", "AuthenticateUserWithPushRequest"],
        ["QueryService_1_7", "PollPushStatusRequest"],
        ["QueryService_1_7", "PollPushStatusRequest"],
        ["QueryService_1_7", "PollPushStatusRequest"],
      ],
    );
  });

  it("polls pushes due together as one PollPushStatus, and tells each its own answer", async () => {
    kit.fake.setCaller("jdoe", { answer: "ignore" });
    const vip = kit.provider();
    const refs = [];
    for (let n = 0; n < 3; n += 1) refs.push((await vip.startPush(pushRequest({ verificationId: `ver_vip_batch_${n}` }))).transactionRef);
    const ids = refs.map((ref) => decodeTransactionRef(ref) ?? "");
    kit.fake.answer(ids[0] ?? "", "approve");
    kit.fake.answer(ids[2] ?? "", "deny");
    const answers = await Promise.all(refs.map((ref) => vip.pollPush(ref)));
    assert.deepEqual(
      answers.map((a) => a.outcome),
      ["approved", "waiting", "denied"],
    );
    const polls = kit.fake.requests.filter((r) => r.operation === "PollPushStatusRequest");
    assert.equal(polls.length, 1);
    assert.deepEqual([...polls[0]!.body.matchAll(/<(?:\w+:)?transactionId>([^<]+)</g)].map((m) => m[1]), ids);
    // More than twenty at once go out twenty to a request.
    kit.fake.reset();
    kit.fake.setCaller("jdoe", { answer: "ignore" });
    const many = [];
    for (let n = 0; n < 23; n += 1) many.push((await vip.startPush(pushRequest({ verificationId: `ver_vip_many_${n}` }))).transactionRef);
    const statuses = await Promise.all(many.map((ref) => vip.pollPush(ref)));
    assert.ok(statuses.every((st) => st.outcome === "waiting"));
    assert.deepEqual(
      kit.fake.requests.filter((r) => r.operation === "PollPushStatusRequest").map((r) => r.body.match(/transactionId>/g)!.length / 2),
      [20, 3],
    );
  });

  it("sees a caller who approves after a while, polling as the engine does", async () => {
    kit.fake.setCaller("jdoe", { answer: "approve", afterMs: 250 });
    const vip = kit.provider();
    const startedAt = Date.now();
    const { transactionRef } = await vip.startPush(pushRequest());
    let status = await vip.pollPush(transactionRef);
    while (status.outcome === "waiting" && Date.now() - startedAt < 3000) {
      await sleep(50);
      status = await vip.pollPush(transactionRef);
    }
    assert.equal(status.outcome, "approved");
    assert.ok(Date.now() - startedAt >= 250);
  });

  it("reports a denial", async () => {
    kit.fake.setCaller("jdoe", { answer: "deny", afterMs: 0 });
    const vip = kit.provider();
    const { transactionRef } = await vip.startPush(pushRequest());
    await kit.fake.waitFor(() => [...kit.fake.transactions.values()][0]?.state === "denied");
    assert.deepEqual(await vip.pollPush(transactionRef), { outcome: "denied", detail: "Denied in VIP Access" });
  });

  it("keeps waiting while nobody answers, then ends without approval once VIP expires the push (7004)", async () => {
    kit.fake.setCaller("jdoe", { answer: "ignore" });
    const vip = kit.provider();
    const { transactionRef } = await vip.startPush(pushRequest({ timeoutSeconds: 2 }));
    const tx = kit.fake.transactions.values().next().value;
    assert.deepEqual(tx?.requestParameters, { "request.timeout": "2" });
    assert.equal((await vip.pollPush(transactionRef)).outcome, "waiting");
    await sleep((tx?.createdAt ?? 0) + 2100 - Date.now());
    const status = await vip.pollPush(transactionRef);
    assert.equal(status.outcome, "timeout");
    assert.match(status.detail ?? "", /7004/);
  });

  it("uses the provider's own push timeout when one is configured", async () => {
    await kit.provider({ pushTimeoutSeconds: 45 }).startPush(pushRequest({ timeoutSeconds: 120 }));
    assert.deepEqual(kit.fake.transactions.values().next().value?.requestParameters, { "request.timeout": "45" });
  });

  it("treats a push VIP no longer knows (7005) as over, never approved", async () => {
    const status = await kit.provider().pollPush(encodeTransactionRef("0123456789abcdef"));
    assert.equal(status.outcome, "timeout");
    assert.match(status.detail ?? "", /7005.*not found/);
  });

  it("maps every transaction status: only 7000 approves, 7001 waits, anything else ends the push", () => {
    const entry = (status: string, detail?: string) => ({ transactionId: "abcd", status, statusMessage: `message ${status}`, detail, detailMessage: undefined });
    assert.equal(pushStatusFrom(entry("7000")).outcome, "approved");
    assert.equal(pushStatusFrom(entry("7001")).outcome, "waiting");
    assert.equal(pushStatusFrom(entry("7002")).outcome, "denied");
    for (const code of ["7003", "7004", "7005", "7006", "7008", "7FFF", "0000", "6040"]) {
      const status = pushStatusFrom(entry(code));
      assert.equal(status.outcome, "timeout", code);
      assert.match(status.detail ?? "", new RegExp(code));
    }
  });

  it("refuses a reference that is not one of its own", async () => {
    await assert.rejects(kit.provider().pollPush("sim_123"), rejectsWith("PROVIDER_ERROR"));
    await assert.rejects(kit.provider().pollPush(JSON.stringify({ vip: 1, transactionId: "bad-id" })), rejectsWith("PROVIDER_ERROR"));
    assert.equal(kit.fake.requests.length, 0);
  });

  it("cancels nothing: VIP has no call to withdraw a push, so cancelPush resolves without a request", async () => {
    const vip = kit.provider();
    const { transactionRef } = await vip.startPush(pushRequest());
    await vip.cancelPush(transactionRef);
    assert.equal(kit.fake.requests.length, 1);
  });
});

describe("VIP push: number challenge", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit({ numberChallenge: true });
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  it("passes VIP's numbersChallengeValue on as the number the technician reads out", async () => {
    kit.fake.setCaller("jdoe", { answer: "ignore" });
    const vip = kit.provider();
    const started = await vip.startPush(pushRequest());
    const tx = [...kit.fake.transactions.values()][0];
    assert.match(started.numberChallenge ?? "", /^\d{2}$/);
    assert.equal(started.numberChallenge, tx?.challenge);
    assert.deepEqual(await vip.pollPush(started.transactionRef), { outcome: "waiting", detail: "Waiting for the caller to choose the number" });
  });

  it("reports the wrong number as a denial that says so", async () => {
    kit.fake.setCaller("jdoe", { answer: "wrong-number", afterMs: 0 });
    const vip = kit.provider();
    const { transactionRef } = await vip.startPush(pushRequest());
    await kit.fake.waitFor(() => [...kit.fake.transactions.values()][0]?.state === "wrong-number");
    assert.deepEqual(await vip.pollPush(transactionRef), { outcome: "denied", detail: "The caller chose the wrong number in VIP Access" });
  });
});

describe("VIP push: refusals and failures", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  it("says a missing user (6003) is usually the user-id rule, and names sAMAccountName", async () => {
    await assert.rejects(
      kit.provider().startPush(pushRequest({ providerUserId: "jane.doe@acme.example" })),
      rejectsWith("NO_USABLE_FACTOR", /no user "jane\.doe@acme\.example".*sAMAccountName.*userId rule.*sam-account-name/s),
    );
  });

  it("says when the user has no credential that takes pushes (6008)", async () => {
    await assert.rejects(kit.provider().startPush(pushRequest({ providerUserId: "otp.only" })), rejectsWith("NO_USABLE_FACTOR", /no enabled VIP credential that takes pushes/));
  });

  it("tells the technician to unlock a locked user in VIP Manager (601B)", async () => {
    await assert.rejects(kit.provider().startPush(pushRequest({ providerUserId: "locked.user" })), rejectsWith("PROVIDER_ERROR", /unlock.*VIP Manager/));
  });

  it("names any other status code and VIP's words", async () => {
    kit.fake.failNext({ kind: "status", status: "6006", statusMessage: "Invalid credential type." });
    await assert.rejects(kit.provider().startPush(pushRequest()), rejectsWith("PROVIDER_ERROR", /status 6006: Invalid credential type\./));
    kit.fake.failNext({ kind: "status", status: "6005" });
    await assert.rejects(kit.provider().startPush(pushRequest()), rejectsWith("PROVIDER_UNAVAILABLE", /6005/));
  });

  it("maps a SOAP Fault to PROVIDER_ERROR and sends the push once", async () => {
    kit.fake.failNext({ kind: "fault", faultString: "Internal processing error" });
    await assert.rejects(kit.provider().startPush(pushRequest()), rejectsWith("PROVIDER_ERROR", /SOAP fault.*Internal processing error/));
    assert.equal(kit.fake.requests.length, 1);
  });

  it("maps 401/403 to UPSTREAM_AUTH_FAILED and a 5xx page to PROVIDER_UNAVAILABLE, without repeating the push", async () => {
    kit.fake.failNext({ kind: "http", status: 403 });
    await assert.rejects(kit.provider().startPush(pushRequest()), rejectsWith("UPSTREAM_AUTH_FAILED", /VIP certificate/));
    kit.fake.failNext({ kind: "http", status: 503 });
    await assert.rejects(kit.provider().startPush(pushRequest()), rejectsWith("PROVIDER_UNAVAILABLE"));
    assert.equal(kit.fake.requests.length, 2);
  });

  it("warns that a prompt may still arrive when VIP never answers the push", async () => {
    const vip = kit.provider({ timeoutMs: 500 });
    await warm(vip);
    kit.fake.failNext({ kind: "hang" });
    await assert.rejects(vip.startPush(pushRequest()), rejectsWith("PROVIDER_UNAVAILABLE", /prompt may still reach the caller's phone/));
    assert.equal(kit.fake.requests.filter((r) => r.operation === "AuthenticateUserWithPushRequest").length, 1);
  });

  it("refuses an answer it cannot read", async () => {
    kit.fake.failNext({ kind: "http", status: 200, body: "<html>maintenance</html>" });
    await assert.rejects(kit.provider().startPush(pushRequest()), rejectsWith("PROVIDER_ERROR", /could not be read/));
  });

  it("never reports approval when a poll fails: it rejects and the next poll still sees the truth", async () => {
    kit.fake.setCaller("jdoe", { answer: "approve", afterMs: 0 });
    const { transactionRef } = await kit.provider().startPush(pushRequest());
    await kit.fake.waitFor(() => [...kit.fake.transactions.values()][0]?.state === "approved");
    const vip = kit.provider({ timeoutMs: 400 });
    assert.equal((await vip.pollPush(transactionRef)).outcome, "approved");
    // Transport failures are retried by the outbound client (four attempts), HTTP answers are not.
    const failures = [
      [{ kind: "reset" }, 4, "PROVIDER_UNAVAILABLE"],
      [{ kind: "hang" }, 4, "PROVIDER_UNAVAILABLE"],
      [{ kind: "fault" }, 1, "PROVIDER_ERROR"],
      [{ kind: "http", status: 500, body: "oops" }, 1, "PROVIDER_UNAVAILABLE"],
      [{ kind: "status", status: "6005" }, 1, "PROVIDER_UNAVAILABLE"],
      [{ kind: "status", status: "600B" }, 1, "PROVIDER_ERROR"],
    ] as const;
    for (const [failure, count, code] of failures) {
      kit.fake.failNext(failure, { count, operation: "PollPushStatusRequest" });
      await assert.rejects(vip.pollPush(transactionRef), rejectsWith(code));
    }
    assert.equal((await vip.pollPush(transactionRef)).outcome, "approved");
  });

  it("rejects a poll answer that does not mention the push", async () => {
    const vip = kit.provider();
    const { transactionRef } = await vip.startPush(pushRequest());
    kit.fake.failNext({ kind: "http", status: 200, body: pollAnswerWithout() }, { operation: "PollPushStatusRequest" });
    await assert.rejects(vip.pollPush(transactionRef), rejectsWith("PROVIDER_ERROR", /did not mention this push/));
  });
});

function pollAnswerWithout(): string {
  return (
    '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>' +
    '<PollPushStatusResponse xmlns="https://schemas.symantec.com/vip/2011/04/vipuserservices">' +
    "<requestId>abcd</requestId><status>0000</status><statusMessage>Success</statusMessage>" +
    "<transactionStatus><transactionId>ffffffffffffffff</transactionId><status>7000</status><statusMessage>Mobile push request approved by user</statusMessage></transactionStatus>" +
    "</PollPushStatusResponse></S:Body></S:Envelope>"
  );
}
