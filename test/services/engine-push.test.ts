import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRuntime } from "../../src/main.js";
import { parseConfig } from "../../src/config/load.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { waitForFinal } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { createTestRuntime, ROOMY_LIMITS, testConfig, type TestRuntime } from "../helpers/runtime.js";

describe("push verification (simulated provider)", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
  });
  after(() => t.close());

  const phone = () => t.runtime.dev.simulated.get("phone")!;
  const startPush = async (user: string = TEST_USERS.jane.upn) => {
    const view = await t.runtime.engine.start(t.technician, { user, method: "simulated-push", ticket: "1042" });
    const row = await findVerification(t.runtime.database.db, view.id);
    return { view, promptId: row?.providerRef ?? "" };
  };
  const settled = (id: string) => waitForFinal(t.runtime.engine, t.technician, id);

  it("sends a push with number matching and the context of the call", async () => {
    const { view, promptId } = await startPush();
    assert.equal(view.state, "sent");
    assert.match(view.challenge ?? "", /^\d{2}$/);
    const prompt = (await phone().pendingPrompts()).find((p) => p.id === promptId);
    assert.equal(prompt?.providerUserId, "jane");
    assert.equal(prompt?.title, "Acme Test service desk");
    assert.match(prompt?.message ?? "", /Terry at the service desk is checking your identity \(ticket 1042\)/);
    assert.ok(prompt?.choices.includes(view.challenge ?? ""));
    await t.runtime.engine.cancel(t.technician, view.id, null);
  });

  it("is verified when the caller approves with the right number", async () => {
    const { view, promptId } = await startPush();
    await phone().answer(promptId, { decision: "approve", number: view.challenge ?? "" });
    const final = await settled(view.id);
    assert.deepEqual([final.state, final.stateReason, final.challenge], ["verified", "approved", null]);
    const actions = (await listAuditEvents(t.runtime.database.db, { verificationId: view.id, limit: 10 })).map((e) => e.action);
    assert.deepEqual(actions, ["verification.started", "push.sent", "push.approved"]);
  });

  it("is rejected when the caller picks the wrong number or denies", async () => {
    const first = await startPush();
    const wrongNumber = String(((Number(first.view.challenge) - 10 + 1) % 90) + 10);
    await phone().answer(first.promptId, { decision: "approve", number: wrongNumber });
    assert.equal((await settled(first.view.id)).state, "rejected");

    const second = await startPush();
    await phone().answer(second.promptId, { decision: "deny" });
    const denied = await settled(second.view.id);
    assert.deepEqual([denied.state, denied.stateReason], ["rejected", "denied"]);
  });

  it("reports fraud as fraud", async () => {
    const { view, promptId } = await startPush();
    await phone().answer(promptId, { decision: "fraud" });
    const final = await settled(view.id);
    assert.deepEqual([final.state, final.stateReason], ["rejected", "fraud"]);
    const events = await listAuditEvents(t.runtime.database.db, { verificationId: view.id, limit: 10 });
    assert.equal(events.at(-1)?.action, "push.fraud_reported");
    // Jane is now flagged for 24 hours (a new verification needs an admin's override); move past it.
    t.clock.advance(24 * 60 * 60_000 + 1000);
  });

  it("expires when nobody answers before the deadline", async () => {
    const { view } = await startPush();
    t.clock.advance(61_000);
    const final = await settled(view.id);
    assert.equal(final.state, "expired");
  });

  it("ignores, and audits, an approval that arrives after the technician cancelled", async () => {
    const { view, promptId } = await startPush(TEST_USERS.chris.upn);
    await t.runtime.engine.cancel(t.technician, view.id, "wrong caller");
    const answer = await phone().answer(promptId, { decision: "approve", number: view.challenge ?? "" });
    assert.equal(answer, "cancelled", "cancelling reached the provider first");
    assert.equal((await t.runtime.engine.get(t.technician, view.id)).state, "cancelled");
  });
});

describe("restarts", () => {
  it("resumes polling waiting pushes after a restart", async () => {
    const t = await createTestRuntime({ overrides: ROOMY_LIMITS });
    const view = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push" });
    const promptId = (await findVerification(t.runtime.database.db, view.id))?.providerRef ?? "";
    await t.runtime.close();

    const loaded = parseConfig(testConfig(t.dir, ROOMY_LIMITS), { env: {}, baseDir: t.dir, source: "test", demo: false });
    const restarted = await createRuntime(loaded, { clock: t.clock, logDestination: captureLogs().stream, print: () => {}, pushPollMs: 20 });
    try {
      await restarted.startBackground();
      assert.equal(restarted.engine.pushes.active, 1);
      await restarted.dev.simulated.get("phone")!.answer(promptId, { decision: "approve", number: view.challenge ?? "" });
      const final = await waitForFinal(restarted.engine, t.technician, view.id);
      assert.equal(final.state, "verified");
    } finally {
      await restarted.close();
    }
  });
});
