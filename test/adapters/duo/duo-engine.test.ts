import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { createDuoPushProvider, type DuoPushProvider } from "../../../src/adapters/push/duo/duo-push-provider.js";
import { listAuditEvents } from "../../../src/store/audit-dal.js";
import { ROOMY, createEngineWith, waitForFinal } from "../../helpers/engine.js";
import { TEST_USERS } from "../../helpers/fixtures.js";
import { TECHNICIAN } from "../../helpers/runtime.js";
import { startFakeDuo, type FakeDuo } from "../../fakes/duo/fake-duo.js";
import { duoConfig, rejectsWith } from "./duo-kit.js";

// The file directory keeps the UPN as written, and that is the Duo username by default.
const JANE = "Jane@Acme.test";

describe("Duo with the real engine and store", () => {
  let fake: FakeDuo;
  let duo: DuoPushProvider;
  let e: Awaited<ReturnType<typeof createEngineWith>>;
  before(async () => {
    fake = await startFakeDuo({ holdMs: 2000, pushTimeoutMs: 5000 });
    duo = createDuoPushProvider(duoConfig(fake), { name: "duo", clock: { now: () => new Date() }, log: pino({ level: "silent" }) });
    e = await createEngineWith({ provider: duo, settings: { limits: { ...ROOMY, pushes: { max: 50, windowSeconds: 900 }, sends: { max: 50, windowSeconds: 3600 }, failures: { max: 50, windowSeconds: 86_400 } } } });
  });
  after(async () => {
    await fake.close();
    await e.close();
    await duo.close();
  });

  const actions = async (id: string) => (await listAuditEvents(e.handle.db, { verificationId: id, limit: 10 })).map((a) => a.action);

  it("verifies a caller who approves the push", async () => {
    fake.addUser({ username: JANE, caller: { action: "approve", afterMs: 200 } });
    const started = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "duo-push", ticket: "1042" });
    assert.equal(started.state, "sent");
    const final = await waitForFinal(e.engine, TECHNICIAN, started.id);
    assert.equal(final.state, "verified");
    assert.deepEqual(await actions(started.id), ["verification.started", "push.sent", "push.approved"]);
    assert.equal(fake.transactions.at(-1)?.pushinfo.Technician, "Terry");
  });

  it("rejects, and audits as fraud, a push the caller reports", async () => {
    fake.addUser({ username: JANE, caller: { action: "fraud", afterMs: 100 } });
    const started = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "duo-push" });
    const final = await waitForFinal(e.engine, TECHNICIAN, started.id);
    assert.deepEqual([final.state, final.stateReason], ["rejected", "fraud"]);
    assert.equal((await actions(started.id)).at(-1), "push.fraud_reported");
  });

  it("refuses to start for a bypassed user, explaining why", async () => {
    fake.addUser({ username: JANE, status: "allow" });
    const error = await rejectsWith(e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "duo-push" }), "NO_USABLE_FACTOR");
    assert.match(error.message, /bypass/);
  });

  it("checks a passcode through Duo and spends a check on a wrong one", async () => {
    fake.addUser({ username: JANE, passcodes: ["314159"] });
    // Jane reported a push as fraud above, so for 24 hours only an administrator's override starts another.
    const admin = { ...TECHNICIAN, role: "admin" as const };
    const started = await e.engine.start(admin, { user: TEST_USERS.jane.upn, method: "duo-passcode", overrideFraudFlag: true });
    assert.equal((await e.engine.check(admin, started.id, "271828")).outcome, "incorrect");
    assert.equal((await e.engine.check(admin, started.id, "314159")).outcome, "verified");
  });
});
