import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { after, before, describe, it } from "node:test";
import { isVerityError, type ErrorCode } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { testPostgres } from "../helpers/postgres.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (e: unknown) => {
    assert.ok(isVerityError(e), `expected a VerityError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("code verification", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
  });
  after(() => t.close());

  const startSms = (user: string = TEST_USERS.jane.upn, ticket: string | null = "1042") =>
    t.runtime.engine.start(t.technician, { user, method: "sms", ticket, reason: "password reset" });

  it("sends a code to the registered mobile and stores only its keyed hash", async () => {
    const v = await startSms();
    assert.equal(v.state, "sent");
    assert.equal(v.destination, "+44 ••••• ••0001");
    assert.equal(v.subject.displayName, "Jane Doe");
    assert.equal(v.technician, "Terry Tech");
    assert.equal(v.developmentOnly, true);
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    assert.match(code, /^\d{6}$/);
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.ok(row?.codeHash !== null && row?.codeHash !== undefined && !row.codeHash.includes(code));
    const actions = (await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 10 })).map((e) => e.action);
    assert.deepEqual(actions, ["verification.started", "message.sent"]);
  });

  it("puts the organisation, the technician's first name, the ticket and the anti-relay warning in the text", async () => {
    await startSms(TEST_USERS.chris.upn, "7777");
    const text = t.printed.at(-1) ?? "";
    assert.match(text, /Acme Test service desk code \(Terry, ticket 7777\)/);
    assert.match(text, /Only read this code to the service desk if you called them\. Never give it to someone who called you\./);
    assert.match(text, /DEVELOPMENT ONLY/);
  });

  it("verifies the right code once, after a wrong one", async () => {
    const v = await startSms();
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    const first = await t.runtime.engine.check(t.technician, v.id, wrong(code));
    assert.deepEqual([first.outcome, first.attemptsRemaining, first.verification.state], ["incorrect", 4, "sent"]);
    const second = await t.runtime.engine.check(t.technician, v.id, code);
    assert.deepEqual([second.outcome, second.verification.state, second.verification.checks.used], ["verified", "verified", 2]);
    await rejectsWith(t.runtime.engine.check(t.technician, v.id, code), "CODE_ALREADY_USED");
    const actions = (await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 10 })).map((e) => e.action);
    assert.deepEqual(actions, ["verification.started", "message.sent", "check.incorrect", "check.accepted"]);
  });

  it("gives exactly one success to two concurrent correct checks", async () => {
    for (let round = 0; round < 5; round += 1) {
      const v = await startSms(TEST_USERS.chris.upn);
      const code = await t.codeSentTo(TEST_USERS.chris.mobile);
      const results = await Promise.allSettled([
        t.runtime.engine.check(t.technician, v.id, code),
        t.runtime.engine.check(t.technician, v.id, code),
      ]);
      const wins = results.filter((r) => r.status === "fulfilled" && r.value.outcome === "verified");
      const losses = results.filter((r) => r.status === "rejected" && isVerityError(r.reason) && r.reason.code === "CODE_ALREADY_USED");
      assert.equal(wins.length, 1, `round ${round}`);
      assert.equal(losses.length, 1, `round ${round}`);
      const accepted = (await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 20 })).filter((e) => e.action === "check.accepted");
      assert.equal(accepted.length, 1);
    }
  });

  it("refuses the sixth check even with the right code", async () => {
    const v = await startSms(TEST_USERS.sam.upn);
    const code = await t.codeSentTo(TEST_USERS.sam.mobile);
    for (let i = 1; i <= 4; i += 1) {
      assert.equal((await t.runtime.engine.check(t.technician, v.id, wrong(code))).attemptsRemaining, 5 - i);
    }
    const fifth = await t.runtime.engine.check(t.technician, v.id, wrong(code));
    assert.deepEqual([fifth.outcome, fifth.verification.state, fifth.verification.stateReason], ["rejected", "rejected", "too_many_attempts"]);
    await rejectsWith(t.runtime.engine.check(t.technician, v.id, code), "CHECK_LIMIT_REACHED");
    assert.equal((await t.runtime.engine.get(t.technician, v.id)).state, "rejected");
  });

  it("never spends more than the check budget under parallel guessing", async () => {
    const v = await startSms(TEST_USERS.chris.upn);
    const code = await t.codeSentTo(TEST_USERS.chris.mobile);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => t.runtime.engine.check(t.technician, v.id, wrong(code))));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 5);
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.equal(row?.attempts, 5);
    assert.equal(row?.state, "rejected");
  });

  it("refuses an expired code, and accepts one a second before expiry", async () => {
    const late = await startSms();
    const lateCode = await t.codeSentTo(TEST_USERS.jane.mobile);
    t.clock.advance(600_000 + 1000);
    await rejectsWith(t.runtime.engine.check(t.technician, late.id, lateCode), "VERIFICATION_EXPIRED");
    const expired = await t.runtime.engine.get(t.technician, late.id);
    assert.deepEqual([expired.state, expired.stateReason], ["expired", "timed_out"]);

    const onTime = await startSms();
    const onTimeCode = await t.codeSentTo(TEST_USERS.jane.mobile);
    t.clock.advance(599_000);
    assert.equal((await t.runtime.engine.check(t.technician, onTime.id, onTimeCode)).outcome, "verified");
  });

  it("does not accept verification A's code on verification B for the same caller", async () => {
    const a = await startSms(TEST_USERS.jane.upn, "A-1");
    const codeA = await t.codeSentTo(TEST_USERS.jane.mobile);
    const b = await startSms(TEST_USERS.jane.upn, "B-2");
    const codeB = await t.codeSentTo(TEST_USERS.jane.mobile);
    if (codeA === codeB) return; // one in a million: nothing to distinguish
    assert.equal((await t.runtime.engine.check(t.technician, b.id, codeA)).outcome, "incorrect");
    assert.equal((await t.runtime.engine.check(t.technician, a.id, codeA)).outcome, "verified");
  });

  it("refuses malformed codes without spending a check", async () => {
    const v = await startSms(TEST_USERS.chris.upn);
    for (const bad of ["12345", "1234567", "", "١٢٣٤٥٦", "12345a", "x".repeat(10_000), 123456, null]) {
      await rejectsWith(t.runtime.engine.check(t.technician, v.id, bad), "INVALID_CODE_FORMAT");
    }
    assert.equal((await t.runtime.engine.get(t.technician, v.id)).checks.used, 0);
  });

  it("resends a new code that replaces the old one without resetting checks", async () => {
    const v = await startSms(TEST_USERS.chris.upn);
    const oldCode = await t.codeSentTo(TEST_USERS.chris.mobile);
    await t.runtime.engine.check(t.technician, v.id, wrong(oldCode));
    const resent = await t.runtime.engine.resend(t.technician, v.id);
    assert.deepEqual([resent.state, resent.sends, resent.checks.used], ["sent", 2, 1]);
    const newCode = await t.codeSentTo(TEST_USERS.chris.mobile);
    if (newCode !== oldCode) assert.equal((await t.runtime.engine.check(t.technician, v.id, oldCode)).outcome, "incorrect");
    assert.equal((await t.runtime.engine.check(t.technician, v.id, newCode)).outcome, "verified");
  });

  it("stops resending at the per-verification limit", async () => {
    const v = await startSms(TEST_USERS.chris.upn);
    await t.runtime.engine.resend(t.technician, v.id);
    await t.runtime.engine.resend(t.technician, v.id);
    await rejectsWith(t.runtime.engine.resend(t.technician, v.id), "RESEND_LIMIT_REACHED");
  });

  it("cancels, after which nothing more can happen", async () => {
    const v = await startSms(TEST_USERS.chris.upn);
    const code = await t.codeSentTo(TEST_USERS.chris.mobile);
    const cancelled = await t.runtime.engine.cancel(t.technician, v.id, "caller hung up");
    assert.deepEqual([cancelled.state, cancelled.stateReason], ["cancelled", "caller hung up"]);
    await rejectsWith(t.runtime.engine.check(t.technician, v.id, code), "VERIFICATION_NOT_PENDING");
    await rejectsWith(t.runtime.engine.cancel(t.technician, v.id, null), "VERIFICATION_NOT_PENDING");
    await rejectsWith(t.runtime.engine.resend(t.technician, v.id), "VERIFICATION_NOT_PENDING");
  });

  it("expires open verifications in the sweep, with an audit event each", async () => {
    const v = await startSms(TEST_USERS.chris.upn);
    t.clock.advance(601_000);
    assert.ok((await t.runtime.engine.expireDue()) >= 1);
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.equal(row?.state, "expired");
    assert.equal(row?.codeHash, null);
    const actions = (await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 10 })).map((e) => e.action);
    assert.equal(actions.at(-1), "verification.expired");
  });

  it("sends email codes to the registered alternate address only", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "email" });
    assert.equal(v.destination, "j•••@m•••.test");
    assert.match(await t.codeSentTo(TEST_USERS.jane.altEmail), /^\d{6}$/);
  });
});

describe("choosing the factor", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
  });
  after(() => t.close());

  it("texts the mobile before the alternate mobile", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms" });
    assert.equal(v.destination, "+1 (•••) •••-0104");
  });

  it("never texts an office number", async () => {
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.alex.upn, method: "sms" }), (e: unknown) => {
      assert.ok(isVerityError(e) && e.code === "NO_USABLE_FACTOR");
      assert.match(e.message, /only an office phone/);
      return true;
    });
  });

  it("says what a user without factors is missing", async () => {
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.nobody.upn, method: "sms" }), /no mobile or alternate mobile phone/);
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.nobody.upn, method: "email" }), /no alternate email/);
  });

  it("refuses unknown users, methods and tenants with their own codes", async () => {
    await rejectsWith(t.runtime.engine.start(t.technician, { user: "ghost@acme.test", method: "sms" }), "USER_NOT_FOUND");
    await rejectsWith(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "voice" }), "METHOD_NOT_ENABLED");
    await rejectsWith(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", tenant: "globex" }), "TENANT_NOT_FOUND");
  });

  it("shows masked factors and which methods reach the user", async () => {
    const view = await t.runtime.engine.lookup(t.technician, "ALEX@acme.test");
    assert.deepEqual(view.factors, [{ type: "office", destination: "+44 ••• •••• 0003", usable: false, note: "office numbers are never texted" }]);
    assert.deepEqual(
      view.methods.map((m) => [m.method, m.available]),
      [
        ["sms", false],
        ["email", false],
        ["simulated-push", true],
        ["simulated-passcode", true],
      ],
    );
    assert.equal(view.user.upn, "a•••@a•••.test");
  });
});

const postgres = await testPostgres();
describeUnless("concurrent checks on PostgreSQL", "skip" in postgres ? postgres.skip : false, () => {
  let t: TestRuntime;
  before(async () => {
    if ("skip" in postgres) return;
    t = await createTestRuntime({ databaseUrl: await postgres.createDatabase(), overrides: ROOMY_LIMITS });
  });
  after(() => t?.close());

  it("gives exactly one success to concurrent correct checks", async () => {
    for (let round = 0; round < 5; round += 1) {
      const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms" });
      const code = await t.codeSentTo(TEST_USERS.chris.mobile);
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => t.runtime.engine.check(t.technician, v.id, code)));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, `round ${round}`);
      assert.ok(results.filter((r) => r.status === "rejected").every((r) => isVerityError(r.reason) && r.reason.code === "CODE_ALREADY_USED"));
    }
  });
});
