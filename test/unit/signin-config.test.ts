import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { entraSigninConfigSchema, oktaSigninConfigSchema, signinReferenceProblems, tenantSigninSchema } from "../../src/adapters/signin/signin-config.js";
import { entraAmrIsPhishingResistant, evaluateSignin } from "../../src/adapters/signin/signin-evidence.js";
import { isVerityError } from "../../src/domain/errors.js";
import { providerSchema } from "../../src/config/schema.js";

const TID = "aaaaaaaa-0000-4000-8000-00000000000a";
const OID = "11111111-1111-4111-8111-111111111111";

describe("sign-in provider configuration", () => {
  it("defaults Entra's login URL to Microsoft's and Okta's acr_values to phr, and takes both in the providers union", () => {
    const entra = entraSigninConfigSchema.parse({ kind: "entra-signin", clientId: "app", clientSecret: "s" });
    assert.equal(entra.loginUrl, "https://login.microsoftonline.com");
    const okta = oktaSigninConfigSchema.parse({ kind: "okta-signin", issuer: "https://acme.okta.com/oauth2/default/", clientId: "c", clientSecret: "s" });
    assert.equal(okta.acrValues, "phr");
    assert.equal(okta.issuer, "https://acme.okta.com/oauth2/default", "the trailing slash is dropped");
    assert.ok(providerSchema.safeParse({ kind: "okta-signin", issuer: "https://acme.okta.com", clientId: "c", clientSecret: "s" }).success);
    assert.ok(providerSchema.safeParse({ kind: "simulated-signin", issuer: "http://127.0.0.1:8787/demo/idp", clientId: "c", clientSecret: "s" }).success);
  });

  it("refuses plain http off this machine, acr_values Okta does not define as phishing-resistant, and a malformed context", () => {
    assert.ok(!oktaSigninConfigSchema.safeParse({ kind: "okta-signin", issuer: "http://acme.okta.com", clientId: "c", clientSecret: "s" }).success);
    assert.ok(!oktaSigninConfigSchema.safeParse({ kind: "okta-signin", issuer: "https://acme.okta.com", clientId: "c", clientSecret: "s", acrValues: "urn:okta:loa:2fa:any" }).success);
    assert.ok(!tenantSigninSchema.safeParse({ authContext: "c100" }).success);
    assert.ok(!tenantSigninSchema.safeParse({ authContext: "C1; drop" }).success);
    assert.equal(tenantSigninSchema.parse({}).belowPhishingResistant, "reject", "a weaker sign-in is refused unless the tenant says otherwise");
  });

  it("requires an Entra tenant id and authentication context for a tenant whose method uses an Entra sign-in service", () => {
    const raw = (tenant: Record<string, unknown>) => ({
      providers: { console: { kind: "console" }, entra: { kind: "entra-signin" }, okta: { kind: "okta-signin" }, twilio: { kind: "twilio" } },
      tenants: [{ id: "acme", directory: { kind: "file" }, ...tenant }],
    });
    const methods = { "sms-signin": { provider: "console", service: "entra" }, "email-signin": { provider: "console", service: "entra" } };
    const problems = signinReferenceProblems(raw({ methods }));
    assert.equal(problems.length, 2, JSON.stringify(problems));
    assert.match(problems[0]?.message ?? "", /entraTenantId is required/);
    assert.match(problems[1]?.message ?? "", /authContext is required/);
    assert.deepEqual(signinReferenceProblems(raw({ methods, signIn: { entraTenantId: TID, authContext: "c1" } })), []);
    assert.deepEqual(signinReferenceProblems(raw({ methods, directory: { kind: "entra", tenantId: TID }, signIn: { authContext: "c1" } })), [], "the Entra directory's tenant id counts");
    assert.deepEqual(signinReferenceProblems(raw({ methods, directory: { kind: "entra" }, domains: ["*"], signIn: { authContext: "c1" } })), [], "a catch-all Entra directory: the caller's UPN domain names the tenant");
    assert.match(signinReferenceProblems(raw({ methods, directory: { kind: "okta" }, signIn: { authContext: "c1" } }))[0]?.message ?? "", /entraTenantId is required/);
    assert.deepEqual(signinReferenceProblems(raw({ methods: { "sms-signin": { provider: "console", service: "okta" } } })), [], "Okta needs neither");
    assert.match(signinReferenceProblems(raw({ methods: { "sms-signin": { provider: "console", service: "twilio" } } }))[0]?.message ?? "", /not a sign-in service/);
    assert.match(signinReferenceProblems(raw({ methods: { "sms-signin": { provider: "console", service: "nope" } } }))[0]?.message ?? "", /not defined/);
  });
});

describe("sign-in evidence", () => {
  it("counts fido, Windows Hello (hwk with mfa/ngcmfa) and multifactor x509 as phishing-resistant; not x509, hwk, pwd, sms or push alone", () => {
    const yes = [["fido", "mfa"], ["fido"], ["hwk", "mfa", "ngcmfa"], ["hwk", "ngcmfa"], ["x509", "mfa", "rsa"]];
    const no = [["x509"], ["hwk"], ["pwd"], ["pwd", "sms", "mfa"], ["pwd", "rsa", "ngcmfa", "mfa"], ["mfa"], ["otp", "mfa"], []];
    for (const amr of yes) assert.equal(entraAmrIsPhishingResistant(amr), true, amr.join(","));
    for (const amr of no) assert.equal(entraAmrIsPhishingResistant(amr), false, amr.join(","));
  });

  const ask = { protocol: "entra" as const, tenantId: TID, authContext: "c1" };
  const claims = { iss: `https://login.microsoftonline.com/${TID}/v2.0`, tid: TID, oid: OID.toUpperCase(), sub: "pairwise", acrs: ["c1"], amr: ["fido", "mfa"], auth_time: 1_800_000_000 };
  const expected = { userId: OID, startedAt: new Date(1_800_000_000_000), requirePhishingResistant: true };
  const reason = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      assert.ok(isVerityError(error));
      return (error.details as { reason?: string }).reason;
    }
    return "accepted";
  };

  it("needs the configured context in acrs as well as a phishing-resistant amr", () => {
    assert.equal(evaluateSignin({ provider: "e", ask }, claims, expected).phishingResistant, true);
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, acrs: ["c2"] }, expected)), "not_phishing_resistant");
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, acrs: undefined }, expected)), "not_phishing_resistant");
  });

  it("takes auth_time at the second the verification began, and refuses one second earlier", () => {
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, claims, { ...expected, startedAt: new Date(1_800_000_000_999) })), "accepted");
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, auth_time: 1_799_999_999 }, expected)), "stale_auth_time");
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, auth_time: "1800000000" }, expected)), "missing_claims");
  });

  it("refuses another tenant, a personal account and a token without oid", () => {
    const other = "bbbbbbbb-0000-4000-8000-00000000000b";
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, tid: other, iss: `https://login.microsoftonline.com/${other}/v2.0` }, expected)), "wrong_tenant");
    const msa = "9188040d-6c67-4c5b-b112-36a304b66dad";
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, tid: msa, iss: `https://login.microsoftonline.com/${msa}/v2.0` }, expected)), "wrong_tenant");
    assert.equal(reason(() => evaluateSignin({ provider: "e", ask }, { ...claims, oid: undefined }, expected)), "missing_claims");
  });

  it("matches Okta's sub exactly (no case folding) and acr exactly as asked", () => {
    const okta = { protocol: "okta" as const, acrValues: "phrh" };
    const base = { iss: "https://acme.okta.com", sub: "00uAbC", acr: "phrh", amr: ["pop"], auth_time: 1_800_000_000 };
    assert.equal(evaluateSignin({ provider: "o", ask: okta }, base, { ...expected, userId: "00uAbC" }).phishingResistant, true);
    assert.equal(reason(() => evaluateSignin({ provider: "o", ask: okta }, base, { ...expected, userId: "00uabc" })), "wrong_user");
    assert.equal(reason(() => evaluateSignin({ provider: "o", ask: okta }, { ...base, acr: "phr" }, { ...expected, userId: "00uAbC" })), "not_phishing_resistant");
  });
});
