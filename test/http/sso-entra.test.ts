import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { startLocalEntra, type LocalEntra } from "../fakes/oidc/local-entra.js";
import { createFakeClock } from "../helpers/clock.js";
import { createHttpBrowser } from "../helpers/http-browser.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";
import { assertRefused, auditOf, signInWithSso, ssoUser, startSso } from "../helpers/sso.js";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";
const T3 = "33333333-3333-4333-8333-333333333333";
const OID = { megan: "0a0a0a0a-0000-4000-8000-00000000000a", forger: "0b0b0b0b-0000-4000-8000-00000000000b", mallory: "0c0c0c0c-0000-4000-8000-00000000000c", impostor: "0d0d0d0d-0000-4000-8000-00000000000d" };
const ROLES = { "Verity.Admin": "admin", "Verity.Technician": "technician" };

/**
 * Microsoft Entra ID sign-in, single- and multi-tenant, against a local stand-in for
 * login.microsoftonline.com whose tokens carry Microsoft's issuers: the issuer rule (`iss` is
 * https://login.microsoftonline.com/{tid}/v2.0 for the token's own `tid`) and the tenant allowlist.
 */
describe("single sign-on with Microsoft Entra ID", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let entra: LocalEntra;

  before(async () => {
    entra = await startLocalEntra({
      homeTenant: T1,
      tenants: {
        [T1]: {
          megan: { claims: { oid: OID.megan, name: "Megan Bowen", preferred_username: "megan@t1.example", roles: ["Verity.Technician"] } },
          forger: { claims: { oid: OID.forger, tid: T2, name: "Forger", roles: ["Verity.Admin"] } },
        },
        [T3]: {
          mallory: { claims: { oid: OID.mallory, name: "Mallory", roles: ["Verity.Admin"] } },
          impostor: { claims: { oid: OID.impostor, tid: T1, name: "Impostor", roles: ["Verity.Admin"] } },
        },
      },
    });
    const common = { kind: "entra", loginUrl: entra.url, clientId: "verity-entra", clientSecret: "entra-secret-0123456789", roles: ROLES };
    t = await createTestRuntime({
      clock: createFakeClock(new Date()),
      overrides: {
        ...ROOMY_LIMITS,
        server: { requestsPerMinute: 100_000 },
        web: {
          sso: [
            { ...common, name: "entra", label: "Microsoft (any allowed tenant)", allowedTenants: [T1.toUpperCase(), T2] },
            { ...common, name: "entra-t1", label: "Microsoft (T1)", tenantId: T1 },
          ],
        },
      },
    });
    ({ app, base } = await listen(t.runtime));
    entra.start([
      {
        clientId: "verity-entra",
        clientSecret: "entra-secret-0123456789",
        authMethod: "client_secret_post",
        redirectUris: [`${base}/signin/sso/entra/callback`, `${base}/signin/sso/entra-t1/callback`],
      },
    ]);
  });
  after(async () => {
    await app?.close();
    await t?.close();
    await entra?.close();
  });
  beforeEach(() => {
    t.clock.set(new Date());
  });

  it("multi-tenant: signs in through /organizations a person of an allowed tenant, as tid:oid", async () => {
    entra.homeTenant = T1;
    const { authorizeUrl } = await startSso(createHttpBrowser(), base, "entra");
    assert.ok(authorizeUrl.href.startsWith(`${entra.url}/organizations/v2.0/`), authorizeUrl.href);
    const done = await signInWithSso(createHttpBrowser(), base, "entra", "megan");
    assert.equal(done.status, 303, done.text);
    const user = await ssoUser(t.runtime, "entra", `${T1}:${OID.megan}`);
    assert.equal(user?.role, "technician");
    assert.equal(user?.display_name, "Megan Bowen");
  });

  it("multi-tenant: refuses a valid token from a tenant that is not allowed", async () => {
    entra.homeTenant = T3;
    const done = await signInWithSso(createHttpBrowser(), base, "entra", "mallory");
    await assertRefused(t.runtime, done, { status: 403, message: /organisation's directory is not allowed/, reason: new RegExp(`Entra tenant ${T3} is not allowed`), provider: "entra" });
    const [event] = await auditOf(t.runtime, "signin.failed");
    assert.equal(event?.data.subject, `${T3}:${OID.mallory}`);
  });

  it("multi-tenant: refuses a token whose tid names an allowed tenant but whose issuer is another tenant's", async () => {
    entra.homeTenant = T3;
    const done = await signInWithSso(createHttpBrowser(), base, "entra", "impostor");
    await assertRefused(t.runtime, done, { status: 401, message: /did not pass/, reason: /"iss"/, provider: "entra" });
    assert.equal(await ssoUser(t.runtime, "entra", `${T1}:${OID.impostor}`), undefined);
  });

  it("single-tenant: signs in the tenant's people through /{tenantId}", async () => {
    const { authorizeUrl } = await startSso(createHttpBrowser(), base, "entra-t1");
    assert.ok(authorizeUrl.href.startsWith(`${entra.url}/${T1}/v2.0/`), authorizeUrl.href);
    const done = await signInWithSso(createHttpBrowser(), base, "entra-t1", "megan");
    assert.equal(done.status, 303, done.text);
    assert.equal((await ssoUser(t.runtime, "entra-t1", `${T1}:${OID.megan}`))?.role, "technician");
  });

  it("single-tenant: refuses a token of the tenant's issuer that claims another tenant's tid", async () => {
    const done = await signInWithSso(createHttpBrowser(), base, "entra-t1", "forger");
    await assertRefused(t.runtime, done, { status: 401, message: /did not pass/, reason: new RegExp(`is not Microsoft's issuer for tenant ${T2}`), provider: "entra-t1" });
  });
});
