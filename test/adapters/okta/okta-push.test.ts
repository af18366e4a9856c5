import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { OktaPushProvider } from "../../../src/adapters/push/okta/okta-push-provider.js";
import { createFakeClock } from "../../helpers/clock.js";
import { ALEX, JANE, pollUntilAnswered, pushRequest, SAM, shown, startOktaKit, type OktaKit } from "./okta-kit.js";

describe("Okta Verify push with number challenge", () => {
  let kit: OktaKit;
  let okta: OktaPushProvider;
  before(async () => {
    kit = await startOktaKit();
    okta = kit.provider();
  });
  after(() => kit.close());
  beforeEach(() => kit.fake.reset());

  it("is a real provider that polls at least every 750 ms", () => {
    assert.equal(okta.kind, "okta");
    assert.equal(okta.developmentOnly, false);
    assert.ok((okta.pollIntervalMs ?? Infinity) <= 750);
  });

  it("returns Okta's number for the technician and reports approval once the caller picks it", async () => {
    kit.fake.setCaller(JANE, { action: "approve", afterMs: 150, pick: "right" });
    const startedAt = Date.now();
    const started = await okta.startPush(pushRequest(JANE));
    const [tx] = kit.fake.transactions;
    assert.ok(tx !== undefined && tx.correctAnswer !== null);
    assert.equal(started.numberChallenge, String(tx.correctAnswer));
    assert.match(started.numberChallenge ?? "", /^\d{2}$/);
    const verify = kit.fake.requests.find((r) => r.path.endsWith("/verify"));
    assert.equal(verify?.rawBody, '{"useNumberMatchingChallenge":true}');
    assert.match(String(verify?.headers["user-agent"]), /^Verity\//);
    assert.equal(verify?.path, `/api/v1/users/${kit.fake.user(JANE).id}/factors/${kit.fake.user(JANE).factors[0]?.id}/verify`);
    assert.equal((await okta.pollPush(started.transactionRef)).outcome, "waiting");
    const status = await pollUntilAnswered(okta, started.transactionRef);
    assert.deepEqual(status, { outcome: "approved", detail: "Approved in Okta Verify." });
    assert.ok(Date.now() - startedAt >= 150);
    assert.equal(tx.picked, tx.correctAnswer);
  });

  it("follows the poll link Okta gave, never one it built", async () => {
    kit.fake.setCaller(JANE, { action: "approve", afterMs: 0 });
    const started = await okta.startPush(pushRequest(JANE));
    await okta.pollPush(started.transactionRef);
    const [tx] = kit.fake.transactions;
    const poll = kit.fake.requests.find((r) => r.method === "GET" && r.path.includes("/transactions/"));
    assert.equal(poll?.path, `/api/v1/users/${tx?.userId}/factors/${tx?.factorId}/transactions/${tx?.id}`);
    assert.match(tx?.id ?? "", /^v2mst\./);
  });

  it("reports a wrong number as a denial", async () => {
    kit.fake.setCaller(JANE, { action: "approve", afterMs: 30, pick: "wrong" });
    const started = await okta.startPush(pushRequest(JANE));
    assert.equal((await pollUntilAnswered(okta, started.transactionRef)).outcome, "denied");
    const [tx] = kit.fake.transactions;
    assert.notEqual(tx?.picked, tx?.correctAnswer);
  });

  it("reports Deny as a denial", async () => {
    kit.fake.setCaller(JANE, { action: "deny", afterMs: 30 });
    const started = await okta.startPush(pushRequest(JANE));
    const status = await pollUntilAnswered(okta, started.transactionRef);
    assert.equal(status.outcome, "denied");
    assert.match(status.detail ?? "", /Denied in Okta Verify/);
  });

  it("cancels by DELETE on Okta's cancel link; a second cancel finds nothing and is fine", async () => {
    kit.fake.setCaller(JANE, { action: "ignore" });
    const started = await okta.startPush(pushRequest(JANE));
    await okta.cancelPush(started.transactionRef);
    const [tx] = kit.fake.transactions;
    const deleted = kit.fake.requests.find((r) => r.method === "DELETE");
    assert.equal(deleted?.path, `/api/v1/users/${tx?.userId}/factors/${tx?.factorId}/transactions/${tx?.id}`);
    assert.equal(tx?.cancelled, true);
    await okta.cancelPush(started.transactionRef);
    assert.equal((await okta.pollPush(started.transactionRef)).outcome, "timeout");
  });

  it("sends no body and shows no number when number challenge is turned off", async () => {
    const plain = kit.provider({ numberChallenge: false });
    kit.fake.setCaller(SAM, { action: "approve", afterMs: 0 });
    const started = await plain.startPush(pushRequest(SAM));
    assert.equal(started.numberChallenge, undefined);
    const verify = kit.fake.requests.find((r) => r.path.endsWith("/verify"));
    assert.equal(verify?.rawBody, "");
    assert.equal(verify?.headers["content-type"], undefined);
    assert.equal((await pollUntilAnswered(plain, started.transactionRef)).outcome, "approved");
  });

  it("refuses users Okta does not know, and users without an active push enrolment", async () => {
    await assert.rejects(okta.startPush(pushRequest("ghost@acme.example")), (e) => /NO_USABLE_FACTOR .*Okta has no user ghost@acme\.example.*userId rule/.test(shown(e)));
    await assert.rejects(okta.startPush(pushRequest(ALEX)), (e) => /NO_USABLE_FACTOR .*no active Okta Verify push enrolment/.test(shown(e)));
    assert.equal(kit.fake.requests.filter((r) => r.path.endsWith("/verify")).length, 0);
  });

  it("never reports approval when a poll gets no answer, even if the caller approved", async () => {
    kit.fake.setCaller(JANE, { action: "approve", afterMs: 0 });
    const started = await okta.startPush(pushRequest(JANE));
    kit.fake.failNext("reset", 10, "poll");
    await assert.rejects(okta.pollPush(started.transactionRef), (e) => /PROVIDER_UNAVAILABLE/.test(shown(e)));
    kit.fake.reset();
    kit.fake.failNext("500", 10, "poll");
    await assert.rejects(okta.pollPush(started.transactionRef), (e) => /PROVIDER_UNAVAILABLE .*HTTP 500/.test(shown(e)));
  });

  it("does not repeat a push whose request may have arrived, and says a prompt may be on the phone", async () => {
    kit.fake.failNext("reset", 1, "verify");
    await assert.rejects(okta.startPush(pushRequest(JANE)), (e) => /PROVIDER_UNAVAILABLE .*prompt may already be on the caller's phone/.test(shown(e)));
    assert.equal(kit.fake.requests.filter((r) => r.path.endsWith("/verify")).length, 1);
  });

  it("keeps credentials out of the transaction reference and the logs", async () => {
    const started = await okta.startPush(pushRequest(JANE));
    assert.ok(!started.transactionRef.includes(kit.fake.apiToken));
    assert.ok(kit.logs.every((line) => !line.includes(kit.fake.apiToken)));
  });
});

describe("Okta Verify push: timeouts and orgs without number matching", () => {
  it("reports TIMEOUT once Okta gives up on an unanswered push", async () => {
    const clock = createFakeClock(new Date());
    const kit = await startOktaKit({ now: () => clock.now().getTime(), pushLifetimeMs: 5 * 60_000 });
    try {
      kit.fake.setCaller(JANE, { action: "ignore" });
      const okta = kit.provider({}, clock);
      const started = await okta.startPush(pushRequest(JANE));
      assert.equal((await okta.pollPush(started.transactionRef)).outcome, "waiting");
      clock.advance(5 * 60_000);
      assert.deepEqual(await okta.pollPush(started.transactionRef), { outcome: "timeout", detail: "The Okta Verify prompt expired without an answer." });
    } finally {
      await kit.close();
    }
  });

  it("withdraws a push Okta sent without a number challenge, and says how to accept that knowingly", async () => {
    const kit = await startOktaKit({ numberChallenge: false });
    try {
      const okta = kit.provider();
      await assert.rejects(okta.startPush(pushRequest(JANE)), (e) => /PROVIDER_ERROR .*without a number challenge.*numberChallenge: false/.test(shown(e)));
      assert.equal(kit.fake.transactions[0]?.cancelled, true);
      assert.equal(kit.fake.requests.filter((r) => r.method === "DELETE").length, 1);
    } finally {
      await kit.close();
    }
  });
});
