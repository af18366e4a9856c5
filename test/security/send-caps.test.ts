import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { isVerityError, type ErrorCode } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import type { Actor } from "../../src/services/actor.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, type TestRuntime } from "../helpers/runtime.js";

const roomyCaller = { pushes: { max: 1000, windowSeconds: 900 }, sends: { max: 1000, windowSeconds: 3600 }, failures: { max: 1000, windowSeconds: 86_400 } };
const wide = (max: number) => ({ max, windowSeconds: 3600 });
const ROOMY_WIDE = { technician: wide(10_000), tenant: wide(10_000), tenantDaily: { max: 10_000, windowSeconds: 86_400 }, smsCountry: wide(10_000), smsPrefix: wide(10_000) };

const users = [TEST_USERS.jane.upn, TEST_USERS.sam.upn, TEST_USERS.chris.upn];
const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (e: unknown) => isVerityError(e) && e.code === code && (e.retryAfterSeconds ?? 0) > 0 && /Try again in/.test(e.message));

/** Issue 9 #5 (SECURITY.md A8 #44-#46): caps on whoever sends and wherever texts go, not only per caller. */
describe("send caps beyond the caller", () => {
  const runtimes: TestRuntime[] = [];
  after(async () => {
    for (const t of runtimes) await t.close();
  });
  const runtime = async (limits: Record<string, unknown>, tenantExtra: Record<string, unknown> = {}) => {
    const t = await createTestRuntime({
      overrides: (dir) => ({ verification: { limits: { ...roomyCaller, ...ROOMY_WIDE, ...limits } }, tenants: [acmeTenant(dir, tenantExtra)] }),
    });
    runtimes.push(t);
    return t;
  };
  const refusals = async (t: TestRuntime, code: string) =>
    (await listAuditEvents(t.runtime.database.db, { limit: 1000 })).filter((e) => e.action === "verification.refused" && e.reason === code);

  it("caps one technician's sends across callers, and audits the refusal", async () => {
    const t = await runtime({ technician: wide(5) });
    for (let i = 0; i < 5; i += 1) await t.runtime.engine.start(t.technician, { user: users[i % 3]!, method: i % 2 === 0 ? "sms" : "simulated-push" });
    await rejectsWith(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "email" }), "TECHNICIAN_SEND_LIMIT");
    assert.equal((await refusals(t, "TECHNICIAN_SEND_LIMIT")).length, 1);
    const other: Actor = { ...t.technician, id: "token:tech-b", name: "Bea" };
    const ok = await t.runtime.engine.start(other, { user: TEST_USERS.jane.upn, method: "sms" });
    assert.equal(ok.state, "sent", "another technician is not held back");
  });

  it("counts resends against the technician too", async () => {
    const t = await runtime({ technician: wide(2) });
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    await t.runtime.engine.resend(t.technician, v.id);
    await rejectsWith(t.runtime.engine.resend(t.technician, v.id), "TECHNICIAN_SEND_LIMIT");
  });

  it("caps a tenant per hour and per day, whoever sends", async () => {
    const hourly = await runtime({ tenant: wide(3) });
    for (let i = 0; i < 3; i += 1) await hourly.runtime.engine.start({ ...hourly.technician, id: `token:t${i}` }, { user: users[i]!, method: "sms" });
    await rejectsWith(hourly.runtime.engine.start({ ...hourly.technician, id: "token:t9" }, { user: TEST_USERS.jane.upn, method: "sms" }), "TENANT_SEND_LIMIT");
    const daily = await runtime({ tenantDaily: { max: 2, windowSeconds: 86_400 } });
    for (let i = 0; i < 2; i += 1) await daily.runtime.engine.start({ ...daily.technician, id: `token:t${i}` }, { user: users[i]!, method: "sms" });
    daily.clock.advance(2 * 3600_000);
    await rejectsWith(daily.runtime.engine.start({ ...daily.technician, id: "token:t9" }, { user: TEST_USERS.chris.upn, method: "sms" }), "TENANT_DAILY_BUDGET");
    assert.equal((await refusals(daily, "TENANT_DAILY_BUDGET")).length, 1);
  });

  it("caps texts per destination country and per dialling prefix, but not emails or pushes", async () => {
    const country = await runtime({ smsCountry: wide(2) });
    await country.runtime.engine.start(country.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    await country.runtime.engine.start(country.technician, { user: TEST_USERS.sam.upn, method: "sms" });
    await rejectsWith(country.runtime.engine.start(country.technician, { user: TEST_USERS.jane.upn, method: "sms" }), "COUNTRY_SEND_LIMIT");
    assert.equal((await country.runtime.engine.start(country.technician, { user: TEST_USERS.chris.upn, method: "sms" })).state, "sent", "US numbers are another country");
    assert.equal((await country.runtime.engine.start(country.technician, { user: TEST_USERS.jane.upn, method: "email" })).state, "sent");

    const prefix = await runtime({ smsPrefix: wide(1) });
    await prefix.runtime.engine.start(prefix.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    // Sam's +44 7700 900002 shares Jane's +44 770 prefix.
    await rejectsWith(prefix.runtime.engine.start(prefix.technician, { user: TEST_USERS.sam.upn, method: "sms" }), "PREFIX_SEND_LIMIT");
    assert.equal((await refusals(prefix, "PREFIX_SEND_LIMIT")).length, 1);
  });

  it("refuses texts outside a tenant's country allowlist with a clear, audited error", async () => {
    const t = await runtime({}, { smsCountries: ["US"] });
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" }), (e: unknown) => {
      assert.ok(isVerityError(e));
      assert.equal(e.code, "COUNTRY_NOT_ALLOWED");
      assert.match(e.message, /GB.*allows texts only to US/);
      return true;
    });
    assert.equal((await refusals(t, "COUNTRY_NOT_ALLOWED")).length, 1);
    assert.equal((await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms" })).state, "sent");
  });

  it("answers 429 with Retry-After over HTTP, and the message says when to retry", async () => {
    const t = await runtime({ technician: wide(1) });
    const token = (await t.runtime.tokens.create({ name: "Tess", role: "technician", tenants: null }, t.admin)).token;
    const app: FastifyInstance = await buildApp(t.runtime);
    try {
      const start = () =>
        app.inject({
          method: "POST",
          url: "/api/v1/verifications",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          payload: JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" }),
        });
      assert.equal((await start()).statusCode, 201);
      const refused = await start();
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json<{ code: string }>().code, "TECHNICIAN_SEND_LIMIT");
      assert.ok(Number(refused.headers["retry-after"]) > 0);
      assert.match(refused.json<{ message: string }>().message, /Try again in \d+ minutes? \(at \d\d:\d\d UTC\)/);
    } finally {
      await app.close();
    }
  });
});
