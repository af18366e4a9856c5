import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { auditPage, checkView, verificationView } from "../../src/http/api-schemas.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const admin = { id: "cli:test", name: "test", role: "admin" as const, tenants: null };

describe("verification receipts", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let tech: string;
  let auditor: string;

  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
    app = await buildApp(t.runtime);
    tech = (await t.runtime.tokens.create({ name: "tech", role: "technician", tenants: null }, admin)).token;
    auditor = (await t.runtime.tokens.create({ name: "auditor", role: "auditor", tenants: null }, admin)).token;
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const call = async (method: "GET" | "POST", url: string, token: string, body?: unknown) => {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    assert.ok(response.statusCode < 300, response.body);
    return response.json<unknown>();
  };
  const start = async (user: string) => verificationView.parse(await call("POST", "/api/v1/verifications", tech, { user, method: "sms", ticket: "1042" }));
  const get = async (id: string) => verificationView.parse(await call("GET", `/api/v1/verifications/${id}`, tech));
  const eventsOf = async (id: string) => auditPage.parse(await call("GET", `/api/v1/audit/events?verification=${id}`, auditor)).events;

  it("has none while open, then names the audit event that recorded the end, with its chain hash", async () => {
    const started = await start(TEST_USERS.jane.upn);
    assert.equal(started.receipt, null);
    const checked = checkView.parse(await call("POST", `/api/v1/verifications/${started.id}/check`, tech, { code: await t.codeSentTo(TEST_USERS.jane.mobile) }));
    assert.equal(checked.outcome, "verified");
    const accepted = (await eventsOf(started.id)).find((e) => e.action === "check.accepted");
    assert.ok(accepted);
    const expected = { seq: accepted.seq, hash: accepted.hash, eventId: accepted.id, action: "check.accepted" };
    assert.deepEqual(checked.verification.receipt, expected);
    assert.deepEqual((await get(started.id)).receipt, expected, "reading it later gives the same receipt");
  });

  it("names the rejection, not the last wrong code, and a cancellation", async () => {
    const rejected = await start(TEST_USERS.chris.upn);
    const code = await t.codeSentTo(TEST_USERS.chris.mobile);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i += 1) await call("POST", `/api/v1/verifications/${rejected.id}/check`, tech, { code: wrong });
    const view = await get(rejected.id);
    assert.equal(view.state, "rejected");
    const events = await eventsOf(rejected.id);
    const end = events.find((e) => e.action === "verification.rejected");
    assert.deepEqual(view.receipt, end && { seq: end.seq, hash: end.hash, eventId: end.id, action: end.action });
    assert.ok(events.some((e) => e.action === "check.incorrect" && e.seq < (end?.seq ?? 0)));

    const cancelled = await start(TEST_USERS.sam.upn);
    const after = verificationView.parse(await call("POST", `/api/v1/verifications/${cancelled.id}/cancel`, tech, { reason: "caller hung up" }));
    const cancel = (await eventsOf(cancelled.id)).find((e) => e.action === "verification.cancelled");
    assert.deepEqual(after.receipt, cancel && { seq: cancel.seq, hash: cancel.hash, eventId: cancel.id, action: cancel.action });
  });
});
