import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { testCertificate } from "../../fakes/entra/test-certificate.js";
import { CONTOSO, EXPIRED_SECRET, failure, findSettled, NORTHWIND, SECRET, SECRET_ID, startHarness, TAILSPIN, type Harness, APP_ID } from "./entra-fixtures.js";

const TOKEN = /\/oauth2\/v2\.0\/token$/;

describe("Entra directory: tokens", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("shares one token request between 10 concurrent lookups", async () => {
    h.fake.setLatency(20);
    try {
      const directory = h.directory();
      const users = await Promise.all(Array.from({ length: 10 }, () => directory.findUser("jane.doe@contoso.example")));
      assert.equal(users.filter((u) => u !== null).length, 10);
      assert.equal(h.fake.count(TOKEN), 1);
    } finally {
      h.fake.setLatency(0);
    }
  });

  it("reuses the token until five minutes before it expires, then fetches a new one", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    await directory.findUser("jane.doe@contoso.example");
    h.clock.advance((3599 - 301) * 1000);
    await directory.findUser("jane.doe@contoso.example");
    assert.equal(h.fake.count(TOKEN), 1);
    h.clock.advance(2000);
    await directory.findUser("jane.doe@contoso.example");
    assert.equal(h.fake.count(TOKEN), 2);
  });

  it("keeps one token per Entra tenant", async () => {
    const directory = h.directory();
    await directory.findUser("jane.doe@contoso.example");
    await directory.findUser("fabi@fabrikam.example");
    await directory.findUser("sam.admin@contoso.example");
    assert.equal(h.fake.count(TOKEN), 2);
  });

  it("fetches a new token once when Graph refuses the cached one", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    await findSettled(directory, "jane.doe@contoso.example");
    h.fake.revokeTokens();
    const user = await findSettled(directory, "jane.doe@contoso.example");
    assert.equal(user?.upn, "jane.doe@contoso.example");
    assert.equal(h.fake.count(TOKEN), 2);
    assert.equal(h.fake.requests.filter((r) => r.path.startsWith("/graph/") && r.status === 401).length, 1);
  });

  it("gives up with UPSTREAM_AUTH_FAILED when Graph refuses a fresh token too", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    h.fake.failNext("/graph/v1.0/users", { status: 401 }, 2);
    const refused = await failure(directory.findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /did not accept Verity's access token/);
    assert.equal(h.fake.count(TOKEN), 2);
  });

  it("signs in with a certificate assertion (PS256 and RS256)", async () => {
    const pair = testCertificate("verity-registered");
    for (const algorithm of ["PS256", "RS256"] as const) {
      const directory = h.directory({ tenantId: CONTOSO, credential: { kind: "certificate", privateKey: pair.privateKey, certificate: pair.certificate, algorithm } });
      assert.equal((await directory.findUser("jane.doe@contoso.example"))?.upn, "jane.doe@contoso.example", algorithm);
    }
    assert.equal(h.fake.requests.filter((r) => TOKEN.test(r.path) && r.status === 200).length, 2);
  });

  it("refuses a certificate the app registration does not hold, saying what to upload", async () => {
    const other = testCertificate("verity-unregistered");
    const directory = h.directory({ tenantId: CONTOSO, credential: { kind: "certificate", privateKey: other.privateKey, certificate: other.certificate } });
    const refused = await failure(directory.findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /AADSTS700027/);
    assert.match(refused.message, new RegExp(`application ${APP_ID} for tenant ${CONTOSO}`));
    assert.match(refused.message, /Upload the configured certificate/);
  });

  const cases: { name: string; overrides: Record<string, unknown>; query: string; code: string; expect: RegExp[] }[] = [
    {
      name: "AADSTS700016: app not in the tenant",
      overrides: {},
      query: "someone@northwind.example",
      code: "UPSTREAM_AUTH_FAILED",
      expect: [/AADSTS700016/, new RegExp(`Tenant ${NORTHWIND}`), new RegExp(`/${NORTHWIND}/adminconsent\\?client_id=${APP_ID}`)],
    },
    {
      name: "AADSTS65001: consent pending",
      overrides: {},
      query: "someone@tailspin.example",
      code: "UPSTREAM_AUTH_FAILED",
      expect: [/AADSTS65001/, new RegExp(`tenant ${TAILSPIN}`), new RegExp(`/${TAILSPIN}/adminconsent\\?client_id=${APP_ID}`)],
    },
    {
      name: "AADSTS7000215: the secret's ID instead of its value",
      overrides: { credential: { kind: "secret", secret: SECRET_ID } },
      query: "jane.doe@contoso.example",
      code: "UPSTREAM_AUTH_FAILED",
      expect: [/AADSTS7000215/, /the secret's Value .*not its Secret ID/, new RegExp(CONTOSO)],
    },
    {
      name: "AADSTS7000222: expired secret",
      overrides: { credential: { kind: "secret", secret: EXPIRED_SECRET } },
      query: "jane.doe@contoso.example",
      code: "UPSTREAM_AUTH_FAILED",
      expect: [/AADSTS7000222/, /has expired/, /Create a new secret/],
    },
    {
      name: "AADSTS70011: a scope for the wrong Graph",
      overrides: { graphUrl: "http://127.0.0.1:9/not-graph" },
      query: "jane.doe@contoso.example",
      code: "UPSTREAM_AUTH_FAILED",
      expect: [/AADSTS70011/, /graphUrl must be the Microsoft Graph root/],
    },
    {
      name: "AADSTS90002: pinned tenant that does not exist",
      overrides: { tenantId: "deadbeef-0000-4000-8000-000000000000" },
      query: "jane.doe@contoso.example",
      code: "TENANT_NOT_FOUND",
      expect: [/AADSTS90002/, /deadbeef-0000-4000-8000-000000000000/, /tenantId/],
    },
  ];
  for (const c of cases) {
    it(`explains ${c.name}`, async () => {
      const refused = await failure(h.directory(c.overrides).findUser(c.query));
      assert.equal(refused.code, c.code);
      for (const pattern of c.expect) assert.match(refused.message, pattern);
      for (const secret of [SECRET, EXPIRED_SECRET]) assert.ok(!refused.message.includes(secret));
    });
  }

  it("never writes the secret, a token or an assertion to the logs", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    await directory.findUser("jane.doe@contoso.example");
    await failure(h.directory({ credential: { kind: "secret", secret: EXPIRED_SECRET } }).findUser("jane.doe@contoso.example"));
    const text = h.logs.join("\n");
    assert.ok(text.length > 0, "something was logged");
    assert.ok(!text.includes(SECRET) && !text.includes(EXPIRED_SECRET));
    assert.ok(!/Bearer|access_token|client_assertion|eyJ/.test(text));
  });
});
