import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isVerityError, type ErrorCode } from "../../src/domain/errors.js";
import type { Actor } from "../../src/services/actor.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (e: unknown) => isVerityError(e) && e.code === code);

describe("risk policy", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
  });
  after(() => t.close());

  it("asks for a second method for a privileged user, and says when one succeeded", async () => {
    const first = await t.runtime.engine.start(t.technician, { user: TEST_USERS.sam.upn, method: "sms" });
    assert.equal(first.risk.decision, "second_method");
    assert.deepEqual(first.risk.signals.map((s) => s.code), ["privileged"]);
    const code = await t.codeSentTo(TEST_USERS.sam.mobile);
    const checked = await t.runtime.engine.check(t.technician, first.id, code);
    assert.deepEqual(checked.verification.secondMethod, { required: true, satisfiedBy: null, satisfiedByMethod: null });
    assert.equal(checked.verification.policySatisfied, false, "verified, but policy is not yet satisfied");

    const second = await t.runtime.engine.start(t.technician, { user: TEST_USERS.sam.upn, method: "simulated-passcode" });
    const passcode = await t.runtime.dev.simulated.get("phone")!.currentPasscode(TEST_USERS.sam.upn);
    const done = await t.runtime.engine.check(t.technician, second.id, passcode);
    assert.equal(done.outcome, "verified");
    assert.equal(done.verification.secondMethod?.satisfiedBy, first.id);
    assert.equal(done.verification.secondMethod?.satisfiedByMethod, "sms");
    assert.equal(done.verification.policySatisfied, true, "the second method says the requirement is met");
    const firstAgain = await t.runtime.engine.get(t.technician, first.id);
    assert.deepEqual([firstAgain.secondMethod?.satisfiedBy, firstAgain.policySatisfied], [second.id, true]);
  });

  it("does not count a second success of the same method", async () => {
    const a = await t.runtime.engine.start(t.technician, { user: TEST_USERS.sam.upn, method: "simulated-passcode" });
    const passcode = await t.runtime.dev.simulated.get("phone")!.currentPasscode(TEST_USERS.sam.upn);
    await t.runtime.engine.check(t.technician, a.id, passcode);
    const view = await t.runtime.engine.get(t.technician, a.id);
    assert.notEqual(view.secondMethod?.satisfiedBy, a.id);
  });

  it("checks simulated passcodes with the provider and spends a check on a wrong one", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-passcode" });
    assert.deepEqual([v.state, v.methodKind, v.destination], ["sent", "passcode", null]);
    const right = await t.runtime.dev.simulated.get("phone")!.currentPasscode("jane");
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    assert.equal((await t.runtime.engine.check(t.technician, v.id, wrong)).outcome, "incorrect");
    assert.equal((await t.runtime.engine.check(t.technician, v.id, right)).outcome, "verified");
  });
});

describe("blocking policy", () => {
  it("refuses and audits a blocked verification", async () => {
    const t = await createTestRuntime({
      overrides: {
        tenants: [
          {
            id: "acme",
            name: "Acme Test",
            domains: ["acme.test"],
            directory: { kind: "file", path: "directory.yaml" },
            methods: { sms: "console" },
            policy: { default: "warn", rules: { privileged: "block" } },
          },
        ],
      },
    });
    try {
      await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.sam.upn, method: "sms" }), (e: unknown) => {
        assert.ok(isVerityError(e) && e.code === "POLICY_BLOCKED" && e.status === 403);
        assert.match(e.message, /privileged/);
        return true;
      });
      const events = await listAuditEvents(t.runtime.database.db, { limit: 10 });
      assert.deepEqual([events.at(-1)?.action, events.at(-1)?.reason], ["verification.refused", "POLICY_BLOCKED"]);
      assert.equal(t.printed.length, 0, "nothing was sent");
    } finally {
      await t.close();
    }
  });
});

describe("per-caller limits", () => {
  it("caps pushes at 3 per 15 minutes, auditing each refusal, and lifts the cap later", async () => {
    const t = await createTestRuntime();
    try {
      for (let i = 0; i < 3; i += 1) {
        const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push" });
        await t.runtime.engine.cancel(t.technician, v.id, null);
      }
      for (let i = 0; i < 7; i += 1) {
        await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push" }), (e: unknown) => {
          assert.ok(isVerityError(e) && e.code === "PUSH_LIMIT_REACHED" && e.status === 429);
          assert.ok((e.retryAfterSeconds ?? 0) > 0 && (e.retryAfterSeconds ?? 0) <= 900);
          return true;
        });
      }
      const refused = (await listAuditEvents(t.runtime.database.db, { limit: 100 })).filter((e) => e.action === "verification.refused");
      assert.equal(refused.length, 7);
      assert.equal((await t.runtime.dev.simulated.get("phone")!.pendingPrompts()).length, 0);
      assert.equal((await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "simulated-push" })).state, "sent", "other users are not affected");
      t.clock.advance(901_000);
      assert.equal((await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push" })).state, "sent");
    } finally {
      await t.close();
    }
  });

  it("holds the push cap under a burst of parallel starts", async () => {
    const t = await createTestRuntime();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push" })),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
    } finally {
      await t.close();
    }
  });

  it("counts resends towards the send limit", async () => {
    const t = await createTestRuntime({ overrides: { verification: { maxSends: 10, limits: { sends: { max: 3, windowSeconds: 3600 } } } } });
    try {
      const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      await t.runtime.engine.resend(t.technician, v.id);
      await t.runtime.engine.resend(t.technician, v.id);
      await rejectsWith(t.runtime.engine.resend(t.technician, v.id), "SEND_LIMIT_REACHED");
      await rejectsWith(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "email" }), "SEND_LIMIT_REACHED");
    } finally {
      await t.close();
    }
  });

  it("locks a caller out after 10 failed checks in a day, across verifications", async () => {
    const t = await createTestRuntime();
    try {
      for (let round = 0; round < 2; round += 1) {
        const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-passcode" });
        for (let i = 0; i < 5; i += 1) await t.runtime.engine.check(t.technician, v.id, "000000").catch(() => undefined);
      }
      await rejectsWith(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" }), "SUBJECT_LOCKED");
      t.clock.advance(86_401_000);
      assert.equal((await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" })).state, "sent");
    } finally {
      await t.close();
    }
  });
});

describe("who may do what", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({
      overrides: {
        ...ROOMY_LIMITS,
        tenants: [
          { id: "acme", name: "Acme Test", domains: ["acme.test"], directory: { kind: "file", path: "directory.yaml" }, methods: { sms: "console" } },
          { id: "globex", name: "Globex", domains: ["globex.test"], directory: { kind: "file", path: "directory.yaml" }, methods: { sms: "console" } },
        ],
      },
    });
  });
  after(() => t.close());

  const technicianB: Actor = { id: "token:tech-b", name: "Bea", role: "technician", tenants: null };
  const auditor: Actor = { id: "token:aud", name: "Audrey", role: "auditor", tenants: null };
  const globexOnly: Actor = { id: "token:g", name: "Gil", role: "technician", tenants: ["globex"] };

  it("keeps a technician out of another technician's verification", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    await rejectsWith(t.runtime.engine.get(technicianB, v.id), "FORBIDDEN");
    await rejectsWith(t.runtime.engine.check(technicianB, v.id, code), "FORBIDDEN");
    await rejectsWith(t.runtime.engine.cancel(technicianB, v.id, null), "FORBIDDEN");
    await rejectsWith(t.runtime.engine.resend(technicianB, v.id), "FORBIDDEN");
    assert.equal((await findVerification(t.runtime.database.db, v.id))?.attempts, 0, "the forbidden check spent nothing");
    assert.equal((await t.runtime.engine.check(t.admin, v.id, code)).outcome, "verified", "admins may act");
  });

  it("lets auditors read but not act", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    assert.equal((await t.runtime.engine.get(auditor, v.id)).id, v.id);
    await rejectsWith(t.runtime.engine.cancel(auditor, v.id, null), "FORBIDDEN");
    await rejectsWith(t.runtime.engine.start(auditor, { user: TEST_USERS.jane.upn, method: "sms" }), "FORBIDDEN");
  });

  it("keeps a tenant-scoped token inside its tenants", async () => {
    await rejectsWith(t.runtime.engine.start(globexOnly, { user: TEST_USERS.jane.upn, method: "sms" }), "FORBIDDEN");
    await rejectsWith(t.runtime.engine.lookup(globexOnly, TEST_USERS.jane.upn), "FORBIDDEN");
  });

  it("records technicians as themselves, and honours an integration's named agent", async () => {
    const own = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", technician: "Someone Else" });
    assert.equal(own.technician, "Terry Tech");
    const integration = await t.runtime.engine.start(t.admin, { user: TEST_USERS.jane.upn, method: "sms", technician: "Halo Agent" });
    assert.equal(integration.technician, "Halo Agent");
  });
});
