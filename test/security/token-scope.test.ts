import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { errorView, tokenCreated } from "../../src/http/api-schemas.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { acmeTenant, createTestRuntime, globexTenant, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const root = { id: "cli:test", name: "test", role: "admin" as const, tenants: null };

/** Issue 9 #1 (SECURITY.md attack 25): a token limited to some tenants cannot mint a wider one. */
describe("token scope", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let acmeAdmin: string;

  before(async () => {
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, tenants: [acmeTenant(dir), globexTenant(dir)] }) });
    app = await buildApp(t.runtime);
    acmeAdmin = (await t.runtime.tokens.create({ name: "acme admin", role: "admin", tenants: ["acme"] }, root)).token;
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const createToken = (token: string, body: unknown) =>
    app.inject({ method: "POST", url: "/api/v1/tokens", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, payload: JSON.stringify(body) });

  it("gives a token created without tenants its creator's tenants, not every tenant", async () => {
    const response = await createToken(acmeAdmin, { name: "child admin", role: "admin" });
    assert.equal(response.statusCode, 201, response.body);
    const created = tokenCreated.parse(response.json());
    assert.deepEqual(created.tenants, ["acme"]);

    const child = await t.runtime.tokens.authenticate(created.token);
    assert.deepEqual(child?.tenants, ["acme"]);
    const verify = await app.inject({ method: "GET", url: "/api/v1/audit/verify", headers: { authorization: `Bearer ${created.token}` } });
    assert.equal(verify.statusCode, 403, "a tenant-limited token cannot read the whole chain");
    const other = await app.inject({
      method: "POST",
      url: "/api/v1/verifications",
      headers: { authorization: `Bearer ${created.token}`, "content-type": "application/json" },
      payload: JSON.stringify({ user: "hank@globex.test", method: "sms" }),
    });
    assert.equal(other.statusCode, 403, other.body);
  });

  it("refuses tenants outside the creator's, and unknown tenants", async () => {
    const wider = await createToken(acmeAdmin, { name: "sneaky", role: "technician", tenants: ["acme", "globex"] });
    assert.equal(wider.statusCode, 403, wider.body);
    assert.equal(errorView.parse(wider.json()).code, "FORBIDDEN");
    assert.match(wider.json<{ message: string }>().message, /globex/);
    const unknown = await createToken(acmeAdmin, { name: "typo", role: "technician", tenants: ["acme", "acne"] });
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.equal(errorView.parse(unknown.json()).code, "TENANT_NOT_FOUND");
  });

  it("lets an unrestricted admin create any scope, and records role and tenants on token.created", async () => {
    const full = (await t.runtime.tokens.create({ name: "full admin", role: "admin", tenants: null }, root)).token;
    const response = await createToken(full, { name: "globex tech", role: "technician", tenants: ["globex"] });
    assert.equal(response.statusCode, 201, response.body);
    const created = tokenCreated.parse(response.json());
    const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
    const event = events.find((e) => e.action === "token.created" && e.data?.tokenId === created.id);
    assert.deepEqual(event?.data, { tokenId: created.id, name: "globex tech", role: "technician", tenants: ["globex"] });
  });

  it("refuses a non-admin creator a role other than its own (service-level rule)", async () => {
    const tech = { id: "token:t", name: "T", role: "technician" as const, tenants: ["acme"] };
    await assert.rejects(t.runtime.tokens.create({ name: "x", role: "admin", tenants: ["acme"] }, tech), /Only an admin token can create a token of another role/);
  });
});
