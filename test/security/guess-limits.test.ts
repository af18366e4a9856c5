import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isVerityError } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, type TestRuntime } from "../helpers/runtime.js";

/**
 * Issue 9 #4 (SECURITY.md A1 #5, attack 1): wrong answers are capped per caller at every check,
 * across verifications and methods, not only when a verification starts.
 */
describe("per-caller guess limit", () => {
  let t: TestRuntime;
  before(async () => {
    // Sends are roomy so that many verifications can be open; failures keep the default: 10 in 24 h.
    t = await createTestRuntime({ overrides: { verification: { limits: { sends: { max: 100, windowSeconds: 3600 }, pushes: { max: 100, windowSeconds: 900 } } } } });
  });
  after(() => t.close());

  const wrongFor = (code: string) => (code === "000000" ? "111111" : "000000");
  let passcodeId = "";

  it("refuses the 11th wrong answer across 20 open verifications, then even the right code, and audits each refusal", async () => {
    passcodeId = (await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-passcode" })).id;
    const opened = [];
    for (let i = 0; i < 20; i += 1) {
      const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      opened.push({ id: v.id, code: await t.codeSentTo(TEST_USERS.jane.mobile) });
    }
    let wrongAccepted = 0;
    let refused = 0;
    for (const v of opened) {
      for (let guess = 0; guess < 5; guess += 1) {
        try {
          await t.runtime.engine.check(t.technician, v.id, wrongFor(v.code));
          wrongAccepted += 1;
        } catch (error) {
          assert.ok(isVerityError(error), String(error));
          if (error.code === "SUBJECT_LOCKED") {
            refused += 1;
            assert.ok((error.retryAfterSeconds ?? 0) > 0, "a lockout says when to retry");
            assert.match(error.message, /Try again in/);
          }
        }
      }
    }
    assert.equal(wrongAccepted, 10, "exactly 10 wrong answers were weighed");
    assert.ok(refused >= 1);
    const last = opened.at(-1)!;
    await assert.rejects(t.runtime.engine.check(t.technician, last.id, last.code), (e: unknown) => isVerityError(e) && e.code === "SUBJECT_LOCKED");
    const view = await t.runtime.engine.get(t.technician, last.id);
    assert.notEqual(view.state, "verified", "the right code after the lockout does not verify");
    const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
    assert.equal(events.filter((e) => e.action === "check.incorrect").length, 10);
    assert.ok(events.filter((e) => e.action === "check.refused" && e.reason === "SUBJECT_LOCKED").length >= refused + 1);
  });

  it("counts a provider passcode against the same lockout, before the provider sees the guess", async () => {
    const passcode = await t.runtime.dev.simulated.get("phone")!.currentPasscode(TEST_USERS.jane.upn);
    await assert.rejects(t.runtime.engine.check(t.technician, passcodeId, passcode), (e: unknown) => isVerityError(e) && e.code === "SUBJECT_LOCKED");
    assert.equal((await t.runtime.engine.get(t.technician, passcodeId)).checks.used, 0, "a refused check spends nothing");
    await assert.rejects(
      t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-passcode" }),
      (e: unknown) => isVerityError(e) && e.code === "SUBJECT_LOCKED",
      "and no new verification starts",
    );
  });

  it("lets the caller's checks through again once the window has passed", async () => {
    t.clock.advance(24 * 3600_000 + 1000);
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    const result = await t.runtime.engine.check(t.technician, v.id, code);
    assert.equal(result.outcome, "verified");
  });
});
