import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import type { Role } from "../../src/domain/roles.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { acmeTenant, createTestRuntime, globexTenant, type TestRuntime } from "../helpers/runtime.js";

const HOST = "127.0.0.1:8787";
const ORIGIN = `http://${HOST}`;

interface Browser {
  readonly cookie: string;
  readonly csrf: string;
}

describe("administration pages: API tokens and integrations", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  const people: Record<string, Browser> = {};

  const signIn = async (subject: string, role: Role, tenants: readonly string[] | null = null): Promise<Browser> => {
    const user = await t.runtime.webUsers.upsertSso({ provider: "test", subject, displayName: `${subject} person`, email: null, role, tenants });
    const { cookie, session } = await t.runtime.webSessions.start(user, "test");
    return { cookie: `__Host-verity_session=${cookie}`, csrf: session.csrf };
  };
  const get = (who: Browser | null, url: string) => app.inject({ method: "GET", url, headers: { host: HOST, ...(who === null ? {} : { cookie: who.cookie }) } });
  const post = (who: Browser, url: string, form: Record<string, string>, options: { csrf?: boolean; origin?: string } = {}) =>
    app.inject({
      method: "POST",
      url,
      headers: { host: HOST, cookie: who.cookie, origin: options.origin ?? ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ ...(options.csrf === false ? {} : { csrf: who.csrf }), ...form }).toString(),
    });
  const admin = () => people.admin as Browser;

  before(async () => {
    t = await createTestRuntime({ overrides: (dir) => ({ tenants: [acmeTenant(dir), globexTenant(dir)] }) });
    app = await buildApp(t.runtime);
    people.admin = await signIn("admin", "admin");
    people.limited = await signIn("limited", "admin", ["acme"]);
    people.technician = await signIn("tech", "technician");
    people.auditor = await signIn("auditor", "auditor");
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  it("sends someone not signed in to sign in, and refuses technicians and auditors (403)", async () => {
    const anonymous = await get(null, "/admin/tokens");
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, "/signin?next=%2Fadmin%2Ftokens");
    for (const who of ["technician", "auditor"]) {
      for (const url of ["/admin", "/admin/tokens", "/admin/tokens/new", "/admin/integrations"]) {
        assert.equal((await get(people[who] as Browser, url)).statusCode, 403, `${who} ${url}`);
      }
      const browser = people[who] as Browser;
      assert.equal((await post(browser, "/admin/tokens", { name: "sneaky", role: "admin" })).statusCode, 403);
      assert.equal((await post(browser, "/admin/integrations/test", { id: "directory:acme" })).statusCode, 403);
    }
    assert.equal((await t.runtime.tokens.list()).length, 0);
  });

  it("links the administration pages from /admin", async () => {
    const page = await get(admin(), "/admin");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<a href="\/admin\/tokens">API tokens<\/a>/);
    assert.match(page.body, /<a href="\/admin\/integrations">Integrations<\/a>/);
  });

  it("refuses a form without the CSRF token, or from another site, and creates nothing", async () => {
    const noToken = await post(admin(), "/admin/tokens", { name: "ci", role: "technician" }, { csrf: false });
    assert.equal(noToken.statusCode, 403);
    assert.equal((JSON.parse(noToken.body) as { code: string }).code, "CSRF_REJECTED");
    assert.equal((await post(admin(), "/admin/tokens", { name: "ci", role: "technician" }, { origin: "https://evil.example" })).statusCode, 403);
    assert.equal((await post(admin(), "/admin/integrations/test", { id: "directory:acme" }, { csrf: false })).statusCode, 403);
    assert.equal((await post(admin(), "/admin/tokens/revoke", { id: "00000000-0000-4000-8000-000000000000" }, { csrf: false })).statusCode, 403);
    assert.equal((await t.runtime.tokens.list()).length, 0);
  });

  it("creates a token, shows it once on the next page, never again, and lists it without its secret", async () => {
    const created = await post(admin(), "/admin/tokens", { name: "PSA button", role: "technician", "tenant:acme": "on" });
    assert.equal(created.statusCode, 303);
    assert.equal(created.headers.location, "/admin/tokens/new");
    const shown = await get(admin(), "/admin/tokens/new");
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.headers["cache-control"], "no-store");
    const token = /value="(vrt_[A-Za-z0-9_-]{43})"/.exec(shown.body)?.[1];
    assert.ok(token !== undefined, "the token is on the page");
    assert.match(shown.body, /this is the only time it is shown/);
    const actor = await t.runtime.tokens.authenticate(token);
    assert.deepEqual([actor?.name, actor?.role, actor?.tenants], ["PSA button", "technician", ["acme"]]);

    const again = await get(admin(), "/admin/tokens/new");
    assert.ok(!again.body.includes(token), "shown once");
    assert.match(again.body, /shown once, right after it is created, and never again/);
    const otherAdmin = await signIn("admin2", "admin");
    assert.ok(!(await get(otherAdmin, "/admin/tokens/new")).body.includes("vrt_"));

    const list = await get(admin(), "/admin/tokens");
    assert.ok(!list.body.includes(token));
    assert.match(list.body, /<td>PSA button<\/td><td>technician<\/td><td>acme<\/td>/);
    const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
    const audited = events.find((e) => e.action === "token.created");
    assert.match(audited?.actor ?? "", /^user:/);
    assert.ok(!JSON.stringify(events).includes(token), "the token is in no audit event");
  });

  it("says what is wrong with a form, keeping what was typed", async () => {
    const empty = await post(admin(), "/admin/tokens", { name: "", role: "technician" });
    assert.equal(empty.statusCode, 422);
    assert.match(empty.body, /Give the token a name/);
    const unknown = await post(admin(), "/admin/tokens", { name: "x", role: "technician", "tenant:nowhere": "on" });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /No tenant has the id nowhere\. \(TENANT_NOT_FOUND\)/);
    assert.match(unknown.body, /value="x"/);
  });

  it("applies the token service's scope rules to an admin limited to some tenants", async () => {
    const wider = await post(people.limited as Browser, "/admin/tokens", { name: "wider", role: "technician", "tenant:globex": "on" });
    assert.equal(wider.statusCode, 403);
    assert.match(wider.body, /may not grant tenants it does not have: globex/);
    assert.equal((await post(people.limited as Browser, "/admin/tokens", { name: "acme only", role: "auditor" })).statusCode, 303);
    const tokens = await t.runtime.tokens.list();
    assert.deepEqual(tokens.find((x) => x.name === "acme only")?.tenants, ["acme"], "naming none passes the admin's own tenants on");
    const list = await get(people.limited as Browser, "/admin/tokens");
    assert.match(list.body, /acme only/);
    assert.ok(!list.body.includes("globex"), "no tenant choice beyond theirs");
    const everywhere = await t.runtime.tokens.create({ name: "everywhere", role: "technician", tenants: null }, t.admin);
    assert.ok(!list.body.includes(everywhere.info.id));
    const refused = await post(people.limited as Browser, "/admin/tokens/revoke", { id: everywhere.info.id });
    assert.equal(refused.statusCode, 403);
    assert.equal((await t.runtime.tokens.list()).find((x) => x.id === everywhere.info.id)?.revokedAt, null);
  });

  it("revokes a token: it stops working and the list says when", async () => {
    const { token, info } = await t.runtime.tokens.create({ name: "old script", role: "technician", tenants: null }, t.admin);
    const revoked = await post(admin(), "/admin/tokens/revoke", { id: info.id });
    assert.equal(revoked.statusCode, 303);
    assert.equal(revoked.headers.location, `/admin/tokens?revoked=${info.id}`);
    assert.equal(await t.runtime.tokens.authenticate(token), null);
    const list = await get(admin(), revoked.headers.location);
    assert.match(list.body, /Revoked old script: it no longer works\./);
    assert.match(list.body, new RegExp(`<tr data-token="${info.id}"><td>old script</td>.*?<td>\\d{4}-\\d\\d-\\d\\d [\\d:]{8} UTC</td><td></td></tr>`));
    assert.ok(!(await get(admin(), `/admin/tokens?revoked=${"1".repeat(8)}-0000-4000-8000-000000000000`)).body.includes("no longer works"));
  });

  it("lists every integration per tenant with a test button, runs a test and shows its result, at most once per 10 s", async () => {
    const page = await get(admin(), "/admin/integrations");
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Acme Test/);
    assert.match(page.body, /Globex Test/);
    assert.match(page.body, /Code from the demo authenticator/);
    assert.equal((page.body.match(/>Test connection</g) ?? []).length, 9);
    const tested = await post(admin(), "/admin/integrations/test", { id: "directory:acme" });
    assert.equal(tested.statusCode, 303);
    assert.equal(tested.headers.location, "/admin/integrations?tested=directory%3Aacme");
    const shown = await get(admin(), tested.headers.location);
    assert.match(shown.body, /<div class="notice ok" role="status">acme: OK\. The directory file .*directory\.yaml is valid and lists 5 users/);
    assert.match(shown.body, /<span class="flag ok">OK<\/span>/);
    const again = await post(admin(), "/admin/integrations/test", { id: "directory:acme" });
    assert.equal(again.statusCode, 429);
    assert.equal(again.headers["retry-after"], "10");
    assert.match(again.body, /acme was tested moments ago; wait 10 s/);
    assert.equal((await post(admin(), "/admin/integrations/test", { id: "provider:nowhere" })).statusCode, 404);
    const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
    assert.equal(events.filter((e) => e.action === "integration.tested").length, 1);
  });

  it("shows an admin limited to some tenants only theirs, and hides other tenants' results", async () => {
    await post(admin(), "/admin/integrations/test", { id: "directory:globex" });
    const page = await get(people.limited as Browser, "/admin/integrations?tested=directory%3Aglobex");
    assert.equal(page.statusCode, 200);
    assert.ok(!page.body.includes("Globex Test"));
    assert.ok(!page.body.includes("Audit anchors"));
    assert.ok(!page.body.includes("globex-directory.yaml"));
    assert.equal((await post(people.limited as Browser, "/admin/integrations/test", { id: "directory:globex" })).statusCode, 404);
  });
});
