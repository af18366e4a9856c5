import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { findVerification } from "../../src/store/verification-dal.js";
import { startLocalEntraSignin, type Authenticator, type LocalEntraSignin } from "../fakes/oidc/local-signin-idp.js";
import { createFakeClock } from "../helpers/clock.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { GLOBEX_USERS, TEST_USERS } from "../helpers/fixtures.js";
import { createHttpBrowser } from "../helpers/http-browser.js";
import { rejectsWith } from "../helpers/rejects.js";
import { acmeTenant, createTestRuntime, globexTenant, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { signInAtProvider } from "../helpers/signin.js";
import { auditOf } from "../helpers/sso.js";

const ACME_TID = "aaaaaaaa-0000-4000-8000-00000000000a";
const GLOBEX_TID = "99999999-0000-4000-8000-000000000009";
const PUBLIC = "https://verity.example.net";

/** Issue 12: sign-in verification through the real engine, against a local Microsoft Entra ID. */
describe("sign-in verification with Entra ID, through the engine", () => {
  let t: TestRuntime;
  let entra: LocalEntraSignin;

  before(async () => {
    entra = await startLocalEntraSignin({
      tenants: {
        [ACME_TID]: { jane: { claims: { oid: TEST_USERS.jane.id } }, sam: { claims: { oid: TEST_USERS.sam.id } }, chris: { claims: { oid: TEST_USERS.chris.id } } },
        [GLOBEX_TID]: { hank: { claims: { oid: GLOBEX_USERS.hank.id } } },
      },
    });
    entra.start([{ clientId: "verity-app", clientSecret: "app-secret", redirectUris: [`${PUBLIC}/c/signin/callback`], authMethod: "client_secret_post" }]);
    const method = { provider: "console", service: "entra" };
    t = await createTestRuntime({
      clock: createFakeClock(new Date()),
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: PUBLIC },
        providers: { console: { kind: "console" }, phone: { kind: "simulated" }, entra: { kind: "entra-signin", clientId: "verity-app", clientSecret: "app-secret", loginUrl: entra.url } },
        tenants: [
          acmeTenant(dir, { methods: { sms: "console", "sms-signin": method }, signIn: { entraTenantId: ACME_TID, authContext: "c1" } }),
          // Globex accepts a sign-in that is not phishing-resistant, at the lowest level.
          globexTenant(dir, { methods: { sms: "console", "sms-signin": method }, signIn: { entraTenantId: GLOBEX_TID, authContext: "c7", belowPhishingResistant: "accept" } }),
        ],
      }),
    });
  });
  after(async () => {
    await t.close();
    await entra.close();
  });
  beforeEach(() => {
    entra.tamper = undefined;
    entra.authTimeOffsetSeconds = 0;
  });

  /** Starts sms-signin for `user`, presses the button (the page's nonce) and returns the flow. */
  const begin = async (user: string) => {
    const v = await t.runtime.engine.start(t.technician, { user, method: "sms-signin", ticket: "1042" });
    const { ref } = await linkSentFor(t.runtime, v.id);
    const page = await t.runtime.engine.openLink(ref);
    assert.equal(page.kind, "signin");
    const begun = await t.runtime.engine.beginSignin(ref, page.nonce);
    return { id: v.id, ref, ...begun };
  };
  /** The caller signs in at Entra as `login`; returns the callback's query for finishSignin. */
  const signIn = async (url: string, login: string, authenticator: Authenticator = "passkey") => (await signInAtProvider(createHttpBrowser(), url, login, authenticator)).search;
  const stored = async (id: string) => {
    const v = await findVerification(t.runtime.database.db, id);
    assert.ok(v !== undefined);
    return v;
  };
  const reasonOf = async (promise: Promise<unknown>) => ((await rejectsWith(promise, "CALLER_SIGNIN_REJECTED")).details as { reason?: string }).reason;

  it("sends the caller to their own tenant with the context, and verifies a passkey sign-in at phishing-resistant", async () => {
    const { id, url, cookie } = await begin(TEST_USERS.jane.upn);
    const authorize = new URL(url);
    assert.equal(authorize.pathname, `/${ACME_TID}/v2.0/auth`);
    assert.equal(authorize.searchParams.get("login_hint"), "Jane@Acme.test");
    assert.deepEqual(JSON.parse(authorize.searchParams.get("claims") ?? "{}") as unknown, { id_token: { acrs: { essential: true, value: "c1" } } });
    const outcome = await t.runtime.engine.finishSignin(cookie, await signIn(url, "jane"));
    assert.deepEqual(outcome, { outcome: "verified", assurance: "phishing-resistant" });
    const v = await stored(id);
    assert.equal(v.state, "verified");
    assert.deepEqual(v.evidence?.signIn?.acrs, ["c1"]);
    assert.deepEqual(v.evidence?.signIn?.amr, ["fido", "mfa"]);
    assert.equal(v.evidence?.signIn?.issuer, `https://login.microsoftonline.com/${ACME_TID}/v2.0`);
    assert.equal((await auditOf(t.runtime, "signin.started"))[0]?.verification_id, id);
    const view = await t.runtime.engine.get(t.technician, id);
    assert.equal(view.assurance.level, "phishing-resistant");
  });

  it("refuses a token from another tenant and an old session, audited, without spending the link", async () => {
    const { id, url, cookie } = await begin(TEST_USERS.jane.upn);
    entra.tamper = { claims: (c) => ({ ...c, iss: `https://login.microsoftonline.com/${GLOBEX_TID}/v2.0`, tid: GLOBEX_TID }) };
    assert.equal(await reasonOf(t.runtime.engine.finishSignin(cookie, await signIn(url, "jane"))), "wrong_issuer");
    assert.equal((await auditOf(t.runtime, "signin.refused"))[0]?.reason, "wrong_issuer");
    assert.equal((await stored(id)).state, "sent");
    entra.tamper = undefined;
    entra.authTimeOffsetSeconds = -600;
    const again = await begin(TEST_USERS.jane.upn);
    assert.equal(await reasonOf(t.runtime.engine.finishSignin(again.cookie, await signIn(again.url, "jane"))), "stale_auth_time");
  });

  it("binds the cookie to its own flow: another flow's answer under it is refused", async () => {
    const first = await begin(TEST_USERS.jane.upn);
    const second = await begin(TEST_USERS.jane.upn);
    const secondAnswer = await signIn(second.url, "jane");
    assert.equal(await reasonOf(t.runtime.engine.finishSignin(first.cookie, secondAnswer)), "state_mismatch");
    await rejectsWith(t.runtime.engine.finishSignin(undefined, secondAnswer), "CALLER_SIGNIN_FLOW_INVALID");
    await rejectsWith(t.runtime.engine.finishSignin(`${second.cookie.slice(0, -4)}AAAA`, secondAnswer), "CALLER_SIGNIN_FLOW_INVALID");
    assert.equal((await t.runtime.engine.finishSignin(second.cookie, secondAnswer)).outcome, "verified");
  });

  it("refuses the button without its page's nonce", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-signin" });
    const { ref } = await linkSentFor(t.runtime, v.id);
    await rejectsWith(t.runtime.engine.beginSignin(ref, "made-up"), "CSRF_REJECTED");
    await rejectsWith(t.runtime.engine.beginSignin(`${ref.slice(0, -2)}xx`, "made-up"), "LINK_NOT_VALID");
  });

  it("rejects a password sign-in where the tenant requires phishing-resistant, and accepts it at the lowest level where it does not", async () => {
    const acme = await begin(TEST_USERS.jane.upn);
    assert.deepEqual(await t.runtime.engine.finishSignin(acme.cookie, await signIn(acme.url, "jane", "password")), { outcome: "not_phishing_resistant" });
    assert.deepEqual([(await stored(acme.id)).state, (await stored(acme.id)).stateReason], ["rejected", "not_phishing_resistant"]);
    const globex = await begin(GLOBEX_USERS.hank.upn);
    assert.equal(new URL(globex.url).pathname, `/${GLOBEX_TID}/v2.0/auth`, "Globex's own tenant");
    assert.deepEqual(await t.runtime.engine.finishSignin(globex.cookie, await signIn(globex.url, "hank", "password")), { outcome: "verified", assurance: "possession" });
    const v = await stored(globex.id);
    assert.equal(v.evidence?.assurance, "possession");
    assert.equal(v.evidence?.signIn?.phishingResistant, false);
  });

  it("rejects another person's sign-in on the caller's link as fraud, with a fraud notification's action", async () => {
    const { id, url, cookie } = await begin(TEST_USERS.chris.upn);
    assert.deepEqual(await t.runtime.engine.finishSignin(cookie, await signIn(url, "sam")), { outcome: "wrong_user" });
    const v = await stored(id);
    assert.deepEqual([v.state, v.stateReason], ["rejected", "fraud"]);
    const [event] = await auditOf(t.runtime, "signin.wrong_user");
    assert.equal(event?.subject_id, TEST_USERS.chris.id);
    assert.match(String(event?.data.signedInAs), new RegExp(`${ACME_TID}:${TEST_USERS.sam.id}`));
    // The link is spent: the right person cannot use it afterwards.
    await rejectsWith(t.runtime.engine.openLink((await linkSentFor(t.runtime, id)).ref), "LINK_NOT_VALID");
  });
});
