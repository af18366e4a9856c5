import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

describe("verification page links", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    t = await createTestRuntime({ overrides: { ...ROOMY_LIMITS, server: { publicUrl: "https://verity.example.net" } } });
    app = await buildApp(t.runtime);
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const linkFor = async (id: string) => {
    const v = await findVerification(t.runtime.database.db, id);
    const url = t.runtime.links.url(v!);
    assert.ok(url !== null);
    const match = /^https:\/\/verity\.example\.net\/v\/([0-9a-f-]{36})#t=(.+)$/.exec(url);
    assert.ok(match !== null, url);
    assert.equal(match[1], id);
    return match[2]!;
  };
  const get = (id: string, capability?: string) =>
    app.inject({ method: "GET", url: `/api/v1/link/verifications/${id}`, headers: capability === undefined ? {} : { "x-verity-link": capability } });

  it("serves the page itself with no data in it", async () => {
    const response = await app.inject({ method: "GET", url: "/v/00000000-0000-4000-8000-000000000000" });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers["content-security-policy"]), /script-src 'self'/);
    assert.match(response.body, /Caller verification/);
  });

  it("lets the link holder see and complete that verification as its technician", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", ticket: "55" });
    const capability = await linkFor(v.id);
    const page = await get(v.id, capability);
    assert.equal(page.statusCode, 200);
    assert.deepEqual([page.json<{ codeHandling: string }>().codeHandling, page.json<{ verification: { state: string } }>().verification.state], ["readback", "sent"]);
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    const check = await app.inject({
      method: "POST",
      url: `/api/v1/link/verifications/${v.id}/check`,
      headers: { "x-verity-link": capability, "content-type": "application/json" },
      payload: JSON.stringify({ code }),
    });
    assert.equal(check.json<{ outcome: string }>().outcome, "verified");
    const last = (await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 10 })).at(-1);
    assert.deepEqual([last?.action, last?.actor], ["check.accepted", "link:Terry Tech"]);
  });

  it("refuses a missing, forged, foreign or expired capability", async () => {
    const a = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    const b = await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms" });
    const capA = await linkFor(a.id);
    assert.equal((await get(a.id)).statusCode, 401);
    assert.equal((await get(a.id, `${capA.split(".")[0]}.${"A".repeat(43)}`)).statusCode, 401);
    assert.equal((await get(b.id, capA)).statusCode, 401, "a link works for its own verification only");
    const cancel = await app.inject({ method: "POST", url: `/api/v1/link/verifications/${b.id}/cancel`, headers: { "x-verity-link": capA } });
    assert.equal(cancel.statusCode, 401);
    assert.equal((await t.runtime.engine.get(t.technician, b.id)).state, "sent");
    t.clock.advance(24 * 3600_000 + 1000);
    const expired = await get(a.id, capA);
    assert.equal(expired.statusCode, 401);
    assert.match(expired.json<{ message: string }>().message, /not valid or has expired/);
  });

  it("makes no links without a public URL", async () => {
    const other = await createTestRuntime();
    try {
      const v = await other.runtime.engine.start(other.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.equal(other.runtime.links.url((await findVerification(other.runtime.database.db, v.id))!), null);
    } finally {
      await other.close();
    }
  });
});
