import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { waitForFinal } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

/**
 * SECURITY.md A4 #21: the caller's own recent history in Verity becomes risk signals on the next
 * verification of the same account, for the technician and the ticket to see.
 */
describe("caller history signals", () => {
  const codes = (v: { risk: { signals: readonly { code: string }[] } }) => v.risk.signals.map((s) => s.code).sort();

  async function answeredPush(t: TestRuntime, decision: "deny" | "fraud") {
    const view = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push" });
    const prompt = (await findVerification(t.runtime.database.db, view.id))?.providerRef ?? "";
    await t.runtime.dev.simulated.get("phone")!.answer(prompt, { decision });
    return waitForFinal(t.runtime.engine, t.technician, view.id);
  }

  it("flags a denied push, then a fraud report, on the account's next verification, and only there", async () => {
    const t = await createTestRuntime({ overrides: ROOMY_LIMITS });
    try {
      const first = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.deepEqual(codes(first), [], "a first call carries no history");
      await t.runtime.engine.cancel(t.technician, first.id, null);
      assert.equal((await answeredPush(t, "deny")).state, "rejected");
      const afterDenial = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.deepEqual(codes(afterDenial), ["recent_failed_verification"]);
      assert.match(afterDenial.risk.signals[0]?.detail ?? "", /failed less than an hour ago \(the push was denied\)/);
      assert.equal(afterDenial.risk.decision, "warn", "the tenant's default action");
      await t.runtime.engine.cancel(t.technician, afterDenial.id, null);
      await answeredPush(t, "fraud");
      // Flagged for 24 hours: a technician is refused (even asking to override), an admin may override, audited.
      const flagged = (e: Error & { code?: string }) => e.code === "CALLER_FLAGGED" && /reported a verification of this account as fraud less than an hour ago/.test(e.message) && /administrator's override/.test(e.message);
      await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" }), flagged);
      await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", overrideFraudFlag: true }), flagged);
      const refusals = await listAuditEvents(t.runtime.database.db, { limit: 500 });
      assert.equal(refusals.filter((e) => e.action === "verification.refused" && e.reason === "CALLER_FLAGGED").length, 2, "each refusal audited");
      const afterFraud = await t.runtime.engine.start(t.admin, { user: TEST_USERS.jane.upn, method: "sms", overrideFraudFlag: true });
      const override = (await listAuditEvents(t.runtime.database.db, { verificationId: afterFraud.id, limit: 10 })).find((e) => e.action === "fraud_flag.overridden");
      assert.equal(override?.data?.by, t.admin.name, "the override is audited with who made it");
      assert.deepEqual(codes(afterFraud), ["recent_failed_verification", "recent_fraud_report", "repeated_verifications"]);
      assert.match(afterFraud.risk.signals.find((s) => s.code === "repeated_verifications")?.detail ?? "", /verification number 5 of this account in 24 hours/);
      const other = await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms" });
      assert.deepEqual(codes(other), [], "another account's history is its own");
    } finally {
      await t.close();
    }
  });

  it("forgets after 24 hours, and follows the tenant's rules", async () => {
    const t = await createTestRuntime({
      overrides: {
        ...ROOMY_LIMITS,
        tenants: [
          {
            id: "acme",
            name: "Acme Test",
            domains: ["acme.test"],
            directory: { kind: "file", path: "directory.yaml" },
            methods: { sms: "console", "simulated-push": "phone" },
            policy: { default: "warn", rules: { recent_fraud_report: "block" } },
          },
        ],
      },
    });
    try {
      await answeredPush(t, "fraud");
      await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" }), (e: Error & { code?: string }) => e.code === "CALLER_FLAGGED");
      // The tenant's rule still applies under an override.
      await assert.rejects(t.runtime.engine.start(t.admin, { user: TEST_USERS.jane.upn, method: "sms", overrideFraudFlag: true }), (e: Error & { code?: string }) => e.code === "POLICY_BLOCKED" && /reported a verification of this account as fraud/.test(e.message));
      t.clock.advance(24 * 60 * 60_000 + 1000);
      const later = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.deepEqual(codes(later), []);
    } finally {
      await t.close();
    }
  });
});
