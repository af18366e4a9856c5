import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASSURANCE_LEVELS, assuranceOf, meetsAssurance, stillNeeded } from "../../src/domain/assurance.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { waitForFinal } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

describe("assurance levels", () => {
  it("ranks each method: a code is possession, a push without a number is app, a number-matched push or a provider's code is app-matched", () => {
    assert.deepEqual(ASSURANCE_LEVELS, ["possession", "app", "app-matched", "phishing-resistant", "proofing"]);
    assert.equal(assuranceOf("sms", null), "possession");
    assert.equal(assuranceOf("email", null), "possession");
    assert.equal(assuranceOf("vip-push", null), "app");
    assert.equal(assuranceOf("okta-push", "42"), "app-matched");
    assert.equal(assuranceOf("duo-passcode", null), "app-matched");
    const required = { level: "app-matched" as const, orTwoMethods: true };
    assert.equal(meetsAssurance(required, { best: "possession", methods: 1 }), false);
    assert.equal(meetsAssurance(required, { best: "possession", methods: 2 }), true, "two different methods stand in");
    assert.equal(meetsAssurance({ ...required, orTwoMethods: false }, { best: "app", methods: 2 }), false);
    assert.equal(meetsAssurance(required, { best: "proofing", methods: 1 }), true);
    assert.match(stillNeeded(required, { best: "app", methods: 1 }) ?? "", /number-matched approval .* \(level 3\), or a second verification by a different method/);
  });
});

describe("policy that requires an assurance level", () => {
  const config = (dir: string) => ({
    ...ROOMY_LIMITS,
    tenants: [acmeTenant(dir, { policy: { default: "warn", rules: {}, assurance: { required: "possession", privileged: "app-matched", orTwoMethods: false } } })],
  });

  async function pushApproved(t: TestRuntime, user: string) {
    const view = await t.runtime.engine.start(t.technician, { user, method: "simulated-push" });
    const v = await findVerification(t.runtime.database.db, view.id);
    await t.runtime.dev.simulated.get("phone")!.answer(v?.providerRef ?? "", { decision: "approve", number: v?.challenge ?? undefined });
    return waitForFinal(t.runtime.engine, t.technician, view.id);
  }

  it("holds a privileged caller verified by SMS short of policy, says what is still needed, and is met by a number-matched push", async () => {
    const t = await createTestRuntime({ overrides: config });
    try {
      const started = await t.runtime.engine.start(t.technician, { user: TEST_USERS.sam.upn, method: "sms" });
      assert.deepEqual([started.assurance.level, started.assurance.required, started.assurance.satisfied], ["possession", "app-matched", null]);
      assert.match(started.assurance.stillNeeded ?? "", /number-matched approval/);
      const code = await t.codeSentTo(TEST_USERS.sam.mobile);
      assert.equal((await t.runtime.engine.check(t.technician, started.id, code)).outcome, "verified");
      const bySms = await t.runtime.engine.get(t.technician, started.id);
      assert.equal(bySms.state, "verified");
      assert.equal(bySms.assurance.satisfied, false);
      assert.equal(bySms.policySatisfied, false, "verified, but not at the level policy asks");
      assert.match(bySms.assurance.stillNeeded ?? "", /level 3/);
      const accepted = (await listAuditEvents(t.runtime.database.db, { verificationId: started.id, limit: 20 })).find((e) => e.action === "check.accepted");
      assert.equal(accepted?.data?.assurance, "possession", "the audit event records the level reached");

      const byPush = await pushApproved(t, TEST_USERS.sam.upn);
      assert.deepEqual([byPush.state, byPush.assurance.level, byPush.assurance.satisfied, byPush.policySatisfied], ["verified", "app-matched", true, true]);
      assert.equal((await t.runtime.engine.get(t.technician, started.id)).policySatisfied, true, "the SMS verification is now covered by the push within the hour");
    } finally {
      await t.close();
    }
  });

  it("asks nothing more of an ordinary caller, and records no requirement", async () => {
    const t = await createTestRuntime({ overrides: config });
    try {
      const started = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.equal(started.assurance.required, null);
      assert.equal(started.risk.assurance, undefined);
      await t.runtime.engine.check(t.technician, started.id, await t.codeSentTo(TEST_USERS.jane.mobile));
      const done = await t.runtime.engine.get(t.technician, started.id);
      assert.deepEqual([done.assurance.satisfied, done.policySatisfied], [true, true]);
    } finally {
      await t.close();
    }
  });

  it("shows the requirement and each method's level on the caller card's data", async () => {
    const t = await createTestRuntime({ overrides: config });
    try {
      const card = await t.runtime.engine.lookup(t.technician, TEST_USERS.sam.upn);
      assert.equal(card.assurance.required, "app-matched");
      assert.match(card.assurance.requiredWords, /^level 3 of 5/);
      assert.deepEqual([card.assurance.byMethod.sms, card.assurance.byMethod["simulated-push"], card.assurance.byMethod["simulated-passcode"]], ["possession", "app", "app-matched"]);
      assert.equal(card.fraudFlag, null);
    } finally {
      await t.close();
    }
  });
});
