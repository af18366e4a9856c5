import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { createHttpBrowser, type HttpBrowser } from "../helpers/http-browser.js";
import { assertRefused, auditOf, signInAtIdp, signInWithSso, SSO_COOKIE, startSso, startSsoWorld, type SsoWorld } from "../helpers/sso.js";

/**
 * SECURITY.md attack 31, as far as it concerns signing in: state or nonce reused or missing, an ID
 * token for another audience or issuer, an expired or forged token, an IdP mix-up between two
 * configured providers. Each is refused on the sign-in page, with no session, and audited.
 */
describe("attack 31: OIDC sign-in refusals", () => {
  let w: SsoWorld;

  before(async () => {
    w = await startSsoWorld();
  });
  after(async () => {
    await w?.close();
  });
  beforeEach(() => {
    w.t.clock.set(new Date());
  });
  afterEach(() => {
    w.a.tamper = undefined;
    w.b.tamper = undefined;
  });

  /** A callback for `login` at `name`, not yet delivered, and the browser that started it. */
  const callbackFor = async (name: string, login = "tess"): Promise<{ browser: HttpBrowser; callback: URL }> => {
    const browser = createHttpBrowser();
    const { authorizeUrl } = await startSso(browser, w.base, name);
    return { browser, callback: await signInAtIdp(browser, authorizeUrl, login) };
  };

  it("refuses a callback without its state", async () => {
    const { browser, callback } = await callbackFor("idp-a");
    callback.searchParams.delete("state");
    await assertRefused(w.t.runtime, await browser.request(callback.href), { status: 401, message: /did not pass Verity's checks/, reason: /state/, provider: "idp-a" });
  });

  it("refuses a state used once already (the flow is taken as it is read)", async () => {
    const { browser, callback } = await callbackFor("idp-a");
    const flow = browser.cookie(w.base, SSO_COOKIE);
    assert.equal((await browser.request(callback.href)).status, 303);
    browser.setCookie(w.base, SSO_COOKIE, flow ?? "");
    await assertRefused(w.t.runtime, await browser.request(callback.href), { status: 400, message: /already used/, reason: /unknown, already used or expired/, provider: "idp-a" });
  });

  it("refuses a callback in a browser that did not start the flow (login CSRF)", async () => {
    const { callback } = await callbackFor("idp-a");
    await assertRefused(w.t.runtime, await createHttpBrowser().request(callback.href), { status: 400, message: /another browser/, reason: /no sign-in flow cookie/, provider: "idp-a" });
  });

  it("refuses a flow older than 10 minutes", async () => {
    const { browser, callback } = await callbackFor("idp-a");
    w.t.clock.advance(10 * 60_000 + 1000);
    await assertRefused(w.t.runtime, await browser.request(callback.href), { status: 400, message: /expired/, reason: /expired/, provider: "idp-a" });
  });

  it("refuses an ID token whose nonce is not the flow's", async () => {
    w.a.tamper = { claims: (c) => ({ ...c, nonce: "a-nonce-from-another-sign-in" }) };
    await assertRefused(w.t.runtime, await signInWithSso(createHttpBrowser(), w.base, "idp-a", "tess"), { status: 401, message: /did not pass/, reason: /nonce/, provider: "idp-a" });
  });

  it("refuses an ID token without a nonce", async () => {
    w.a.tamper = { claims: ({ nonce: _dropped, ...c }) => c };
    await assertRefused(w.t.runtime, await signInWithSso(createHttpBrowser(), w.base, "idp-a", "tess"), { status: 401, message: /did not pass/, reason: /nonce/, provider: "idp-a" });
  });

  it("refuses an ID token for another audience", async () => {
    w.a.tamper = { claims: (c) => ({ ...c, aud: "some-other-app" }) };
    await assertRefused(w.t.runtime, await signInWithSso(createHttpBrowser(), w.base, "idp-a", "tess"), { status: 401, message: /did not pass/, reason: /aud/, provider: "idp-a" });
  });

  it("refuses an ID token from another issuer", async () => {
    w.a.tamper = { claims: (c) => ({ ...c, iss: w.b.url }) };
    await assertRefused(w.t.runtime, await signInWithSso(createHttpBrowser(), w.base, "idp-a", "tess"), { status: 401, message: /did not pass/, reason: /iss/, provider: "idp-a" });
  });

  it("refuses an ID token not signed by a key of the provider's JWKS", async () => {
    w.a.tamper = { foreignKey: true };
    await assertRefused(w.t.runtime, await signInWithSso(createHttpBrowser(), w.base, "idp-a", "tess"), { status: 401, message: /did not pass/, reason: /signature/, provider: "idp-a" });
  });

  it("refuses an expired ID token (times are Verity's clock's)", async () => {
    const { browser, callback } = await callbackFor("idp-a");
    w.t.clock.advance(6 * 60_000); // the local provider's ID tokens live 5 minutes; Verity allows 30 s of skew
    await assertRefused(w.t.runtime, await browser.request(callback.href), { status: 401, message: /did not pass/, reason: /exp/, provider: "idp-a" });
  });

  it("refuses provider B's answer delivered to provider A's callback (mix-up by flow)", async () => {
    const { browser, callback } = await callbackFor("idp-b");
    const crossed = new URL(`${w.base}/signin/sso/idp-a/callback${callback.search}`);
    await assertRefused(w.t.runtime, await browser.request(crossed.href), { status: 400, message: /start again/, reason: /started for provider idp-b, callback came to idp-a \(mix-up\)/, provider: "idp-a" });
  });

  it("refuses provider A's code in provider B's flow, with A's iss or B's (mix-up by code)", async () => {
    const fromA = (await callbackFor("idp-a")).callback;
    const first = await callbackFor("idp-b");
    first.callback.searchParams.set("code", fromA.searchParams.get("code") ?? "");
    first.callback.searchParams.set("iss", fromA.searchParams.get("iss") ?? "");
    await assertRefused(w.t.runtime, await first.browser.request(first.callback.href), { status: 401, message: /did not pass/, reason: /iss/, provider: "idp-b" });
    const second = await callbackFor("idp-b");
    second.callback.searchParams.set("code", fromA.searchParams.get("code") ?? "");
    await assertRefused(w.t.runtime, await second.browser.request(second.callback.href), { status: 401, message: /did not pass/, reason: /token endpoint answered 400 invalid_grant/, provider: "idp-b" });
  });

  it("keeps codes, tokens and secrets out of the audit log", async () => {
    const events = [...(await auditOf(w.t.runtime, "signin.failed")), ...(await auditOf(w.t.runtime, "signin.succeeded"))];
    assert.ok(events.length >= 10);
    const text = JSON.stringify(events);
    assert.doesNotMatch(text, /eyJ[\w-]{10,}\./, "no JWT");
    assert.doesNotMatch(text, /secret-of-[ab]/, "no client secret");
    assert.doesNotMatch(text, /code=|code_verifier/);
    for (const event of events) assert.doesNotMatch(event.reason ?? "", /[\r\n]/);
  });
});
