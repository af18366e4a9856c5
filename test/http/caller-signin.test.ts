import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Verification } from "../../src/domain/verification.js";
import { buildApp } from "../../src/http/build-app.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { startLocalOktaSignin, type LocalOktaSignin } from "../fakes/oidc/local-signin-idp.js";
import { createFakeClock } from "../helpers/clock.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createHttpBrowser, type HttpBrowser } from "../helpers/http-browser.js";
import { freePort } from "../helpers/net.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { signInAtProvider } from "../helpers/signin.js";
import { auditOf } from "../helpers/sso.js";
import type { Authenticator } from "../fakes/oidc/local-signin-idp.js";

const COOKIE = "__Host-verity_csignin";

/** Issue 12: sign-in verification end to end over HTTP, with a local Okta as the caller's provider. */
describe("sign-in verification over HTTP", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let okta: LocalOktaSignin;
  let base: string;

  before(async () => {
    okta = await startLocalOktaSignin({ accounts: { "u-1": { claims: {} }, "u-2": { claims: {} } } });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    okta.start([{ clientId: "verity", clientSecret: "okta-secret", redirectUris: [`${base}/c/signin/callback`] }]);
    t = await createTestRuntime({
      clock: createFakeClock(new Date()),
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: base },
        providers: { console: { kind: "console" }, phone: { kind: "simulated" }, okta: { kind: "okta-signin", issuer: okta.url, clientId: "verity", clientSecret: "okta-secret" } },
        tenants: [
          acmeTenant(dir, {
            methods: { sms: "console", "sms-signin": { provider: "console", service: "okta" }, "email-signin": { provider: "console", service: "okta" }, "simulated-push": "phone" },
          }),
        ],
      }),
    });
    app = await buildApp(t.runtime);
    await app.listen({ host: "127.0.0.1", port });
  });
  after(async () => {
    await app.close();
    await t.close();
    await okta.close();
  });
  beforeEach(() => {
    okta.tamper = undefined;
    okta.enforceAcr = true;
    okta.authTimeOffsetSeconds = 0;
  });

  const start = async (): Promise<{ v: { id: string }; url: string; ref: string }> => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-signin", ticket: "1042", reason: "password reset" });
    const link = await linkSentFor(t.runtime, v.id);
    return { v, url: link.url, ref: link.ref };
  };
  const state = async (id: string): Promise<Verification> => {
    const found = await findVerification(t.runtime.database.db, id);
    assert.ok(found !== undefined);
    return found;
  };

  /** The caller taps the link, presses Sign in, and signs in at Okta; returns the callback URL (not yet delivered). */
  async function toProvider(browser: HttpBrowser, url: string, login: string, authenticator: Authenticator) {
    const page = await browser.request(url);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Sign in to Acme Test to confirm it is you/);
    const nonce = /name="nonce" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const pressed = await browser.request(`${url}/signin`, { method: "POST", form: { nonce }, headers: { origin: base } });
    assert.equal(pressed.status, 200, pressed.text);
    assert.ok(browser.cookie(base, COOKIE) !== undefined, "the sealed flow cookie is set");
    assert.ok(pressed.setCookies.some((c) => c.startsWith(`${COOKIE}=`) && /Secure/.test(c) && /HttpOnly/.test(c) && /SameSite=Lax/.test(c) && /Path=\//.test(c)));
    const continueTo = /id="continue" href="([^"]+)"/.exec(pressed.text)?.[1]?.replaceAll("&amp;", "&") ?? "";
    assert.ok(continueTo.startsWith(`${okta.url}/auth?`), continueTo);
    assert.doesNotMatch(pressed.setCookies.join(";"), /eyJ|code_verifier/, "the cookie is sealed");
    return signInAtProvider(browser, continueTo, login, authenticator);
  }

  it("verifies the caller who signs in with a passkey at phishing-resistant, keeping only the evidence", async () => {
    const { v, url } = await start();
    const browser = createHttpBrowser();
    const callback = await toProvider(browser, url, "u-1", "passkey");
    assert.equal(okta.requests.at(-1)?.get("login_hint"), "Jane@Acme.test", "the provider is told whom to expect (the directory's UPN)");
    const sealed = browser.cookie(base, COOKIE) ?? "";
    assert.ok(sealed.length > 40);
    const answer = await browser.request(callback.href);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.text, /you are verified/);
    assert.ok(answer.setCookies.some((c) => c.startsWith(`${COOKIE}=;`) && /Max-Age=0/.test(c)), "the flow cookie is cleared");
    const after = await state(v.id);
    assert.equal(after.state, "verified");
    assert.equal(after.evidence?.assurance, "phishing-resistant");
    assert.equal(after.evidence?.signIn?.acr, "phr");
    assert.equal(after.evidence?.signIn?.issuer, okta.url);
    const [event] = await auditOf(t.runtime, "signin.verified");
    assert.equal(event?.verification_id, v.id);
    assert.equal(event?.data.assurance, "phishing-resistant");
    const rows = JSON.stringify(await t.runtime.database.db.selectFrom("audit_events").selectAll().execute()) + JSON.stringify(await t.runtime.database.db.selectFrom("verifications").selectAll().execute());
    assert.doesNotMatch(rows, /eyJ[A-Za-z0-9_-]{10,}\./, "no token in the database");
    assert.ok(!rows.includes(callback.searchParams.get("code") ?? "--none--"), "no authorization code in the database");
    const logs = t.logs.join("\n");
    assert.doesNotMatch(logs, /eyJ[A-Za-z0-9_-]{10,}\./, "no token in the logs");
    assert.ok(!logs.includes(callback.searchParams.get("code") ?? "--none--"), "no authorization code in the logs");
    assert.ok(!logs.includes(sealed) && !rows.includes(sealed), "no sealed flow in the logs or the database");
    // The same answer again: the cookie is gone and the link is spent.
    const again = await browser.request(callback.href);
    assert.deepEqual([again.status, again.text.includes("CALLER_SIGNIN_FLOW_INVALID")], [400, true]);
  });

  it("rejects a password-only sign-in as not phishing-resistant when the provider ignored acr_values", async () => {
    okta.enforceAcr = false;
    const { v, url } = await start();
    const browser = createHttpBrowser();
    const answer = await browser.request((await toProvider(browser, url, "u-1", "password")).href);
    assert.match(answer.text, /not strong enough/);
    const after = await state(v.id);
    assert.deepEqual([after.state, after.stateReason], ["rejected", "not_phishing_resistant"]);
    assert.equal(after.evidence?.signIn?.phishingResistant, false);
  });

  it("refuses a replayed ID token and an old session, audited, and leaves the link for a good sign-in", async () => {
    const { v, url } = await start();
    okta.tamper = { replayPrevious: true };
    const browser = createHttpBrowser();
    const replayed = await browser.request((await toProvider(browser, url, "u-1", "passkey")).href);
    assert.equal(replayed.status, 403);
    assert.match(replayed.text, /CALLER_SIGNIN_REJECTED/);
    const [refusal] = await auditOf(t.runtime, "signin.refused");
    assert.deepEqual([refusal?.verification_id, refusal?.reason], [v.id, "replayed"]);
    assert.equal((await state(v.id)).state, "sent", "the link was not spent");
    okta.tamper = undefined;
    okta.authTimeOffsetSeconds = -3600;
    const stale = await browser.request((await toProvider(browser, url, "u-1", "passkey")).href);
    assert.equal(stale.status, 403);
    assert.equal((await auditOf(t.runtime, "signin.refused"))[0]?.reason, "stale_auth_time");
    okta.authTimeOffsetSeconds = 0;
    const good = await browser.request((await toProvider(browser, url, "u-1", "passkey")).href);
    assert.match(good.text, /you are verified/);
  });

  it("refuses a button press from another site, a callback without the flow cookie, and a tampered cookie", async () => {
    const { v, url } = await start();
    const browser = createHttpBrowser();
    const page = await browser.request(url);
    const nonce = /name="nonce" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const foreign = await browser.request(`${url}/signin`, { method: "POST", form: { nonce }, headers: { origin: "https://evil.example" } });
    assert.equal(foreign.status, 403);
    assert.equal(browser.cookie(base, COOKIE), undefined);
    const noNonce = await browser.request(`${url}/signin`, { method: "POST", form: { nonce: "forged" }, headers: { origin: base } });
    assert.equal(noNonce.status, 403);
    const bare = await createHttpBrowser().request(`${base}/c/signin/callback?code=x&state=y`);
    assert.equal(bare.status, 400);
    const callback = await toProvider(browser, url, "u-1", "passkey");
    const cookie = browser.cookie(base, COOKIE) ?? "";
    browser.setCookie(base, COOKIE, `${cookie.slice(0, -6)}AAAAAA`);
    const tampered = await browser.request(callback.href);
    assert.equal(tampered.status, 400);
    const refusals = await auditOf(t.runtime, "signin.refused");
    assert.ok(refusals.filter((r) => r.reason === "flow_invalid").length >= 2, "each refusal is audited");
    assert.equal((await state(v.id)).state, "sent");
  });
  // Last: the fraud flag makes a new verification of Jane need an administrator's override.
  it("rejects a sign-in by someone else as fraud, flagging the caller", async () => {
    const { v, url } = await start();
    const browser = createHttpBrowser();
    const answer = await browser.request((await toProvider(browser, url, "u-2", "passkey")).href);
    assert.equal(answer.status, 200);
    assert.match(answer.text, /someone else's account/);
    const after = await state(v.id);
    assert.deepEqual([after.state, after.stateReason], ["rejected", "fraud"]);
    const [event] = await auditOf(t.runtime, "signin.wrong_user");
    assert.equal(event?.verification_id, v.id);
    assert.equal(event?.reason, "fraud");
    assert.match(String(event?.data.by), /u-2/);
  });

});
