import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isVerityError } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

/** Issue 9 #20: a start refused before anything is recorded still leaves an audit event. */
describe("refused starts are audited", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
  });
  after(() => t.close());

  it("records NO_USABLE_FACTOR with who asked, for whom, and why", async () => {
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.alex.upn, method: "sms", ticket: "77" }), (e: unknown) => isVerityError(e) && e.code === "NO_USABLE_FACTOR");
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.nobody.upn, method: "email" }), (e: unknown) => isVerityError(e) && e.code === "NO_USABLE_FACTOR");
    const refused = (await listAuditEvents(t.runtime.database.db, { limit: 100 })).filter((e) => e.action === "verification.refused" && e.reason === "NO_USABLE_FACTOR");
    assert.equal(refused.length, 2);
    assert.deepEqual([refused[0]?.actor, refused[0]?.subjectId, refused[0]?.method, refused[0]?.ticket], [t.technician.id, TEST_USERS.alex.id, "sms", "77"]);
    assert.match(String(refused[0]?.data?.detail), /only an office phone/);
    assert.equal(refused[0]?.data?.by, t.technician.name);
  });
});
