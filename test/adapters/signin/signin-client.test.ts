import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createSigninService, type SigninFlow, type SigninService } from "../../../src/adapters/signin/signin-client.js";
import { entraSigninConfigSchema, oktaSigninConfigSchema } from "../../../src/adapters/signin/signin-config.js";
import type { SigninEvidence } from "../../../src/adapters/signin/signin-evidence.js";
import { createHttpBrowser } from "../../helpers/http-browser.js";
import { rejectsWith } from "../../helpers/rejects.js";
import { SIGNIN_CALLBACK_PATH, signInAtProvider } from "../../helpers/signin.js";
import { startLocalEntraSignin, startLocalOktaSignin, type Authenticator, type LocalEntraSignin, type LocalOktaSignin } from "../../fakes/oidc/local-signin-idp.js";

const TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a";
const TENANT_B = "bbbbbbbb-0000-4000-8000-00000000000b";
const ALICE = "11111111-1111-4111-8111-111111111111";
const BOB = "22222222-2222-4222-8222-222222222222";
const MALLORY = "33333333-3333-4333-8333-333333333333";
const REDIRECT = `http://127.0.0.1:9${SIGNIN_CALLBACK_PATH}`;
const clock = { now: () => new Date() };
const ENTRA_TENANT = { entraTenantId: TENANT_A, authContext: "c1" };

/** One caller's sign-in through `service`: the authorize URL, the login, and the callback. */
async function signIn(service: SigninService, login: string, authenticator: Authenticator = "passkey", tenant = ENTRA_TENANT) {
  const browser = createHttpBrowser();
  const begun = await service.begin({ redirectUri: REDIRECT, loginHint: `${login}@acme.example`, tenant });
  const callback = await signInAtProvider(browser, begun.url, login, authenticator);
  return { ...begun, callback };
}

const expect = (userId: string, startedAt: Date, requirePhishingResistant = true) => ({ userId, startedAt, requirePhishingResistant });

/** Asserts a refusal with `reason` and returns its details. */
async function refused(promise: Promise<unknown>, reason: string): Promise<Record<string, unknown>> {
  const error = await rejectsWith(promise, "CALLER_SIGNIN_REJECTED");
  const details = error.details as Record<string, unknown>;
  assert.equal(details.reason, reason, String(details.detail));
  return details;
}

describe("sign-in verification with Microsoft Entra ID", () => {
  let entra: LocalEntraSignin;
  let service: SigninService;
  let started: Date;

  before(async () => {
    entra = await startLocalEntraSignin({
      tenants: {
        [TENANT_A]: { alice: { claims: { oid: ALICE, name: "Alice" } }, bob: { claims: { oid: BOB, name: "Bob" } } },
        [TENANT_B]: { mallory: { claims: { oid: MALLORY } } },
      },
      domains: { "acme.example": TENANT_A },
    });
    entra.start([{ clientId: "verity-app", clientSecret: "s3cret", redirectUris: [REDIRECT], authMethod: "client_secret_post" }]);
    service = createSigninService({ name: "entra-signin", ...entraSigninConfigSchema.parse({ kind: "entra-signin", clientId: "verity-app", clientSecret: "s3cret", loginUrl: entra.url }) }, { clock });
  });
  after(async () => {
    await service.close();
    await entra.close();
  });
  beforeEach(() => {
    entra.tamper = undefined;
    entra.authTimeOffsetSeconds = 0;
    entra.contextPolicy = "phishing-resistant";
    entra.requests.length = 0;
    // auth_time has whole seconds: a verification that began this second is satisfied by a sign-in now.
    started = new Date(Math.floor(Date.now() / 1000) * 1000);
  });

  it("asks the caller's own tenant for a fresh sign-in by the directory user, with the authentication context", async () => {
    const begun = await service.begin({ redirectUri: REDIRECT, loginHint: "alice@acme.example", tenant: ENTRA_TENANT });
    const url = new URL(begun.url);
    assert.equal(url.pathname, `/${TENANT_A}/v2.0/auth`, "the caller's tenant, never common or organizations");
    const q = url.searchParams;
    assert.equal(q.get("prompt"), "login");
    assert.equal(q.get("max_age"), "0");
    assert.equal(q.get("login_hint"), "alice@acme.example");
    assert.deepEqual(JSON.parse(q.get("claims") ?? "null"), { id_token: { acrs: { essential: true, value: "c1" } } });
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.equal(q.get("state"), begun.flow.state);
    assert.equal(q.get("nonce"), begun.flow.nonce);
    assert.equal(begun.flow.issuer, `https://login.microsoftonline.com/${TENANT_A}/v2.0`);
  });

  it("verifies the right person with a passkey as phishing-resistant, keeping only the evidence", async () => {
    const { flow, callback } = await signIn(service, "alice", "passkey");
    const evidence = await service.finish(callback, flow, expect(ALICE, started));
    assert.equal(evidence.phishingResistant, true);
    assert.equal(evidence.subject, `${TENANT_A}:${ALICE}`);
    assert.equal(evidence.issuer, `https://login.microsoftonline.com/${TENANT_A}/v2.0`);
    assert.deepEqual(evidence.acrs, ["c1"]);
    assert.deepEqual(evidence.amr, ["fido", "mfa"]);
    assert.ok(Date.parse(evidence.authTime) >= started.getTime());
    assert.doesNotMatch(JSON.stringify(evidence), /eyJ/, "no token in the evidence");
    const sent = entra.requests.at(-1);
    assert.equal(sent?.get("login_hint"), "alice@acme.example", "the provider received the hint");
  });

  it("counts Windows Hello and a multifactor certificate, not a single-factor certificate, a password or an SMS code", async () => {
    const outcomes: Record<string, boolean> = {};
    for (const authenticator of ["windows-hello", "certificate-mfa", "certificate-single", "password", "sms", "push"] as const) {
      const { flow, callback } = await signIn(service, "alice", authenticator);
      outcomes[authenticator] = (await service.finish(callback, flow, expect(ALICE, started, false))).phishingResistant;
    }
    assert.deepEqual(outcomes, { "windows-hello": true, "certificate-mfa": true, "certificate-single": false, password: false, sms: false, push: false });
  });

  it("refuses a password sign-in as not phishing-resistant by default, with the evidence for the audit log", async () => {
    const { flow, callback } = await signIn(service, "alice", "password");
    const details = await refused(service.finish(callback, flow, expect(ALICE, started)), "not_phishing_resistant");
    const evidence = details.evidence as SigninEvidence;
    assert.deepEqual(evidence.amr, ["pwd"]);
    assert.equal(evidence.phishingResistant, false);
  });

  it("does not take acrs alone as proof: with no policy bound to the context, Entra issues acrs to a password", async () => {
    entra.contextPolicy = "none";
    const { flow, callback } = await signIn(service, "alice", "password");
    const evidence = await service.finish(callback, flow, expect(ALICE, started, false));
    assert.deepEqual(evidence.acrs, ["c1"], "the context was issued");
    assert.equal(evidence.phishingResistant, false, "but amr shows a password");
  });

  it("refuses a sign-in by another user of the tenant as wrong_user (the fraud flow)", async () => {
    const { flow, callback } = await signIn(service, "bob", "passkey");
    const details = await refused(service.finish(callback, flow, expect(ALICE, started)), "wrong_user");
    assert.match(String(details.detail), new RegExp(BOB));
  });

  it("refuses a sign-in whose auth_time is before the verification began (an old session)", async () => {
    entra.authTimeOffsetSeconds = -3600;
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "stale_auth_time");
  });

  it("refuses an ID token without auth_time", async () => {
    entra.tamper = { claims: ({ auth_time: _drop, ...rest }) => rest };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "missing_claims");
  });

  it("refuses an ID token for another audience", async () => {
    entra.tamper = { claims: (c) => ({ ...c, aud: "another-app" }) };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "wrong_audience");
  });

  it("refuses an ID token from another tenant's issuer", async () => {
    entra.tamper = { claims: (c) => ({ ...c, iss: `https://login.microsoftonline.com/${TENANT_B}/v2.0`, tid: TENANT_B }) };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "wrong_issuer");
  });

  it("refuses a token whose tid is another tenant's under the caller tenant's issuer", async () => {
    entra.tamper = { claims: (c) => ({ ...c, tid: TENANT_B }) };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "wrong_issuer");
  });

  it("refuses a person of another tenant when the flow was for the caller's tenant", async () => {
    const { flow, callback } = await signIn(service, "mallory", "passkey", { entraTenantId: TENANT_B, authContext: "c1" });
    // The flow asked tenant B; the caller being verified is in tenant A.
    const forged: SigninFlow = { ...flow, ask: { protocol: "entra", tenantId: TENANT_A, authContext: "c1" } };
    await refused(service.finish(callback, forged, expect(MALLORY, started)), "wrong_issuer");
  });

  it("refuses an expired ID token", async () => {
    entra.tamper = { claims: (c) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 600 }) };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "expired");
  });

  it("refuses an ID token signed with a key that is not the provider's", async () => {
    entra.tamper = { foreignKey: true };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "bad_signature");
  });

  it("refuses an ID token replayed from an earlier flow (its nonce is the earlier flow's)", async () => {
    const first = await signIn(service, "alice", "passkey");
    await service.finish(first.callback, first.flow, expect(ALICE, started));
    entra.tamper = { replayPrevious: true };
    const second = await signIn(service, "alice", "passkey");
    await refused(service.finish(second.callback, second.flow, expect(ALICE, started)), "replayed");
  });

  it("refuses an ID token without a nonce", async () => {
    entra.tamper = { claims: ({ nonce: _drop, ...rest }) => rest };
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await refused(service.finish(callback, flow, expect(ALICE, started)), "replayed");
  });

  it("refuses a callback delivered twice (state and code spent by the first)", async () => {
    const { flow, callback } = await signIn(service, "alice", "passkey");
    await service.finish(callback, flow, expect(ALICE, started));
    await refused(service.finish(callback, flow, expect(ALICE, started)), "replayed");
  });

  it("refuses a code redeemed in another flow's name (the provider answers invalid_grant)", async () => {
    const first = await signIn(service, "alice", "passkey");
    await service.finish(first.callback, first.flow, expect(ALICE, started));
    const other = await service.begin({ redirectUri: REDIRECT, loginHint: "alice@acme.example", tenant: ENTRA_TENANT });
    const reused = new URL(first.callback);
    reused.searchParams.set("state", other.flow.state);
    await refused(service.finish(reused, other.flow, expect(ALICE, started)), "replayed");
  });

  it("refuses a callback whose state is not the flow's, or missing", async () => {
    const { flow, callback } = await signIn(service, "alice", "passkey");
    const wrong = new URL(callback);
    wrong.searchParams.set("state", "another-state");
    await refused(service.finish(wrong, flow, expect(ALICE, started)), "state_mismatch");
    const again = await signIn(service, "alice", "passkey");
    const missing = new URL(again.callback);
    missing.searchParams.delete("state");
    await refused(service.finish(missing, again.flow, expect(ALICE, started)), "state_mismatch");
  });

  it("refuses the provider's error answer without redeeming anything", async () => {
    const begun = await service.begin({ redirectUri: REDIRECT, loginHint: "alice@acme.example", tenant: ENTRA_TENANT });
    const answer = new URL(REDIRECT);
    answer.searchParams.set("error", "access_denied");
    answer.searchParams.set("state", begun.flow.state);
    const details = await refused(service.finish(answer, begun.flow, expect(ALICE, started)), "idp_error");
    assert.match(String(details.detail), /access_denied/);
  });

  it("finds an Entra directory's caller's tenant from their UPN's domain when none is configured, and refuses an unknown domain", async () => {
    const begun = await service.begin({ redirectUri: REDIRECT, loginHint: "alice@Acme.Example", tenant: { entraTenantFromUpn: true, authContext: "c1" } });
    assert.equal(new URL(begun.url).pathname, `/${TENANT_A}/v2.0/auth`, "the tenant that owns acme.example");
    assert.equal(begun.flow.issuer, `https://login.microsoftonline.com/${TENANT_A}/v2.0`);
    await rejectsWith(service.begin({ redirectUri: REDIRECT, loginHint: "eve@unknown.example", tenant: { entraTenantFromUpn: true, authContext: "c1" } }), "CALLER_SIGNIN_UNAVAILABLE");
    await rejectsWith(service.begin({ redirectUri: REDIRECT, loginHint: "alice@acme.example", tenant: { authContext: "c1" } }), "CALLER_SIGNIN_UNAVAILABLE");
    await rejectsWith(service.begin({ redirectUri: REDIRECT, loginHint: "eve@../organizations", tenant: { entraTenantFromUpn: true, authContext: "c1" } }), "CALLER_SIGNIN_UNAVAILABLE");
  });

  it("says the organisation is not set up when the tenant has no authentication context", async () => {
    await rejectsWith(service.begin({ redirectUri: REDIRECT, loginHint: "alice@acme.example", tenant: { entraTenantId: TENANT_A } }), "CALLER_SIGNIN_UNAVAILABLE");
  });
});

describe("sign-in verification with Okta", () => {
  let okta: LocalOktaSignin;
  let service: SigninService;
  let entraService: SigninService;
  let started: Date;

  before(async () => {
    okta = await startLocalOktaSignin({ accounts: { "00u-alice": { claims: {} }, "00u-bob": { claims: {} } } });
    okta.start([{ clientId: "verity-okta", clientSecret: "okta-secret", redirectUris: [REDIRECT] }]);
    service = createSigninService({ name: "okta-signin", ...oktaSigninConfigSchema.parse({ kind: "okta-signin", issuer: okta.url, clientId: "verity-okta", clientSecret: "okta-secret" }) }, { clock });
    entraService = createSigninService({ name: "entra-signin", ...entraSigninConfigSchema.parse({ kind: "entra-signin", clientId: "verity-app", clientSecret: "s3cret", loginUrl: "http://127.0.0.1:9" }) }, { clock });
  });
  after(async () => {
    await service.close();
    await entraService.close();
    await okta.close();
  });
  beforeEach(() => {
    okta.tamper = undefined;
    okta.enforceAcr = true;
    okta.authTimeOffsetSeconds = 0;
    started = new Date(Math.floor(Date.now() / 1000) * 1000);
  });

  it("asks for acr_values phr, max_age=0 and the user, and verifies a passkey as phishing-resistant", async () => {
    const { url, flow, callback } = await signIn(service, "00u-alice", "passkey");
    const q = new URL(url).searchParams;
    assert.equal(q.get("acr_values"), "phr");
    assert.equal(q.get("max_age"), "0");
    assert.equal(q.get("login_hint"), "00u-alice@acme.example");
    const evidence = await service.finish(callback, flow, expect("00u-alice", started));
    assert.equal(evidence.acr, "phr");
    assert.equal(evidence.phishingResistant, true);
    assert.equal(evidence.subject, "00u-alice");
  });

  it("refuses when Okta answers unmet_authentication_requirements (the person could not use a passkey)", async () => {
    const { flow, callback } = await signIn(service, "00u-alice", "password");
    assert.equal(callback.searchParams.get("error"), "unmet_authentication_requirements");
    await refused(service.finish(callback, flow, expect("00u-alice", started)), "idp_error");
  });

  it("checks acr itself: a provider that ignored acr_values and took a password is not phishing-resistant", async () => {
    okta.enforceAcr = false;
    const { flow, callback } = await signIn(service, "00u-alice", "password");
    await refused(service.finish(callback, flow, expect("00u-alice", started)), "not_phishing_resistant");
  });

  it("refuses another user's sign-in as wrong_user", async () => {
    const { flow, callback } = await signIn(service, "00u-bob", "passkey");
    await refused(service.finish(callback, flow, expect("00u-alice", started)), "wrong_user");
  });

  it("refuses an old auth_time and a replayed token", async () => {
    okta.authTimeOffsetSeconds = -120;
    const old = await signIn(service, "00u-alice", "passkey");
    await refused(service.finish(old.callback, old.flow, expect("00u-alice", started)), "stale_auth_time");
    okta.authTimeOffsetSeconds = 0;
    okta.tamper = { replayPrevious: true };
    const replay = await signIn(service, "00u-alice", "passkey");
    await refused(service.finish(replay.callback, replay.flow, expect("00u-alice", started)), "replayed");
  });

  it("fetches discovery once and the key set once however many sign-ins start and finish at the same time", async () => {
    const fresh = createSigninService({ name: "okta-signin", ...oktaSigninConfigSchema.parse({ kind: "okta-signin", issuer: okta.url, clientId: "verity-okta", clientSecret: "okta-secret" }) }, { clock });
    try {
      okta.paths.length = 0;
      const flows = await Promise.all(["00u-alice", "00u-alice", "00u-alice"].map((login) => signIn(fresh, login, "passkey")));
      await Promise.all(flows.map((f) => fresh.finish(f.callback, f.flow, expect("00u-alice", started))));
      const count = (suffix: string) => okta.paths.filter((p) => p.endsWith(suffix)).length;
      assert.equal(count("/.well-known/openid-configuration"), 1, okta.paths.join(" "));
      assert.equal(count("/jwks"), 1, okta.paths.join(" "));
    } finally {
      await fresh.close();
    }
  });

  it("refuses an IdP mix-up: an answer naming another issuer, or a flow begun at another provider", async () => {
    const { flow, callback } = await signIn(service, "00u-alice", "passkey");
    assert.equal(callback.searchParams.get("iss"), okta.url, "Okta names itself on the answer (RFC 9207)");
    const mixed = new URL(callback);
    mixed.searchParams.set("iss", `https://login.microsoftonline.com/${TENANT_A}/v2.0`);
    await refused(service.finish(mixed, flow, expect("00u-alice", started)), "wrong_issuer");
    // The same answer taken to the Entra service (the cookie's flow says Okta): refused before any redemption.
    await refused(entraService.finish(callback, flow, expect("00u-alice", started)), "wrong_issuer");
  });
});
