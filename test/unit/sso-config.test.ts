import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ssoProviderSchema, type SsoProviderConfig } from "../../src/adapters/sso/sso-config.js";
import { grantedTenants, highestRole, identityFromClaims } from "../../src/adapters/sso/sso-identity.js";
import { isVerityError } from "../../src/domain/errors.js";
import { parseConfig } from "../../src/config/load.js";
import { testConfig } from "../helpers/runtime.js";

const TID = "11111111-1111-4111-8111-111111111111";
const oidc = { name: "okta", label: "Okta", kind: "oidc", issuer: "https://acme.okta.com/oauth2/default", clientId: "c", clientSecret: "s", roleClaim: "groups", roles: { "Verity Admins": "admin" } };
const entra = { name: "entra", label: "Microsoft", kind: "entra", clientId: "c", clientSecret: "s", roles: { "Verity.Admin": "admin" } };
const parse = (raw: unknown) => ssoProviderSchema.safeParse(raw);
const config = (raw: unknown): SsoProviderConfig => ssoProviderSchema.parse(raw);
const messages = (raw: unknown) => JSON.stringify(parse(raw).error?.issues ?? []);

describe("web.sso configuration", () => {
  it("takes a standard provider by its issuer, and Entra by tenantId or allowedTenants", () => {
    assert.ok(parse(oidc).success);
    const single = config({ ...entra, tenantId: TID.toUpperCase() });
    assert.equal(single.kind === "entra" && single.tenantId, TID, "tenant ids compare in lower case");
    assert.equal(single.kind === "entra" && single.loginUrl, "https://login.microsoftonline.com");
    assert.ok(parse({ ...entra, allowedTenants: [TID] }).success);
  });

  it("refuses Entra open to every tenant, or with both settings", () => {
    assert.match(messages(entra), /set tenantId \(single-tenant app\) or allowedTenants/);
    assert.match(messages({ ...entra, tenantId: TID, allowedTenants: [TID] }), /not both/);
    assert.ok(!parse({ ...entra, tenantId: "contoso.onmicrosoft.com" }).success, "a tid is a GUID");
  });

  it("allows plain http only to this machine", () => {
    assert.match(messages({ ...oidc, issuer: "http://idp.example.com" }), /must be https:\/\//);
    assert.ok(parse({ ...oidc, issuer: "http://127.0.0.1:8080/realms/lab" }).success);
    assert.match(messages({ ...entra, tenantId: TID, loginUrl: "http://login.example.com" }), /must be https:\/\//);
  });

  it("refuses an issuer on an Entra provider, a missing issuer, and unknown keys", () => {
    assert.ok(!parse({ ...entra, tenantId: TID, issuer: "https://x.example" }).success);
    assert.ok(!parse({ ...oidc, issuer: undefined }).success);
    assert.ok(!parse({ ...oidc, tenantId: TID }).success);
  });

  it("checks names are unique and mapped tenants exist, with the rest of the configuration", () => {
    const raw = testConfig("/tmp/verity-sso-config", { web: { sso: [{ ...oidc, tenants: { "Verity Admins": ["acme", "nowhere"] } }, { ...oidc }] } });
    assert.throws(
      () => parseConfig(raw, { env: {}, baseDir: "/tmp", source: "test", demo: false }),
      (error: unknown) => {
        assert.ok(isVerityError(error));
        const text = JSON.stringify(error.details);
        assert.match(text, /each single-sign-on provider needs its own name/);
        assert.match(text, /web\.sso\[0\]\.tenants\.Verity Admins.*tenant 'nowhere' is not configured/);
        assert.doesNotMatch(text, /tenant 'acme'/);
        return true;
      },
    );
  });
});

describe("SSO claims to a Verity person", () => {
  const okta = config({ ...oidc, roles: { "Verity Admins": "admin", Helpdesk: "technician", Audit: "auditor" }, tenants: { "Desk A": ["a"], "Desk B": ["b", "a"] } });

  it("takes the highest mapped role, ignoring unmapped values and inherited names", () => {
    assert.equal(highestRole({ Audit: "auditor", Helpdesk: "technician" }, ["Audit", "Helpdesk", "x"]), "technician");
    assert.equal(highestRole({ Audit: "auditor" }, ["constructor", "__proto__", "toString"]), undefined);
  });

  it("unites the tenants every value grants; none mapped is every tenant", () => {
    assert.deepEqual(grantedTenants({ "Desk A": ["a"], "Desk B": ["b", "a"] }, ["Desk B", "Desk A"]), ["a", "b"]);
    assert.equal(grantedTenants({ "Desk A": ["a"] }, ["Helpdesk"]), null);
    assert.equal(grantedTenants(undefined, ["Desk A"]), null);
  });

  it("reads a single string claim as well as an array, and names the person sensibly", () => {
    const person = identityFromClaims(okta, { iss: oidc.issuer, sub: "00u1", groups: "Helpdesk", preferred_username: "pat@acme.com", email: "pat@acme.com" });
    assert.deepEqual(person, { provider: "okta", subject: "00u1", displayName: "pat@acme.com", email: "pat@acme.com", role: "technician", tenants: null });
  });

  it("refuses with NO_ROLE when nothing maps, naming the subject for the audit log", () => {
    assert.throws(() => identityFromClaims(okta, { iss: oidc.issuer, sub: "00u2", groups: ["Everyone"] }), (e: unknown) => isVerityError(e) && e.code === "NO_ROLE" && (e.details as { subject?: string }).subject === "00u2");
  });

  it("Entra: tid:oid as the subject, Microsoft's issuer for that tid, and only allowed tenants", () => {
    const multi = config({ ...entra, allowedTenants: [TID] });
    const claims = { iss: `https://login.microsoftonline.com/${TID}/v2.0`, sub: "pairwise", tid: TID, oid: "o-1", roles: ["Verity.Admin"] };
    assert.equal(identityFromClaims(multi, claims).subject, `${TID}:o-1`);
    const code = (c: Record<string, unknown>) => {
      try {
        identityFromClaims(multi, { ...claims, ...c });
        return "accepted";
      } catch (error) {
        return isVerityError(error) ? error.code : "thrown";
      }
    };
    assert.equal(code({ iss: `https://login.microsoftonline.com/${TID}/v2.0/` }), "SSO_REJECTED", "compared exactly");
    assert.equal(code({ iss: "https://login.microsoftonline.com/{tenantid}/v2.0" }), "SSO_REJECTED");
    assert.equal(code({ iss: `https://sts.windows.net/${TID}/` }), "SSO_REJECTED", "v1.0 issuers are not taken");
    const other = "22222222-2222-4222-8222-222222222222";
    assert.equal(code({ tid: other, iss: `https://login.microsoftonline.com/${other}/v2.0` }), "SSO_TENANT_NOT_ALLOWED");
    assert.equal(code({ oid: undefined }), "SSO_REJECTED");
  });
});
