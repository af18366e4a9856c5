import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createHttpBrowser } from "../helpers/http-browser.js";
import { assertRefused, auditOf, SESSION_COOKIE, signInAtIdp, signInWithSso, SSO_COOKIE, ssoUser, startSso, startSsoWorld, type SsoWorld } from "../helpers/sso.js";

/** Signing in with OpenID Connect against real local providers (oidc-provider), over real HTTP. */
describe("single sign-on (OpenID Connect)", () => {
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

  it("offers a button per provider on the sign-in page", async () => {
    const page = await createHttpBrowser().request(`${w.base}/signin?next=/history`);
    assert.match(page.text, /href="\/signin\/sso\/idp-a\?next=%2Fhistory"[^>]*>Sign in with Identity A</);
    assert.match(page.text, /Sign in with Identity B/);
  });

  it("sends the browser to the provider with PKCE (S256), state and nonce, bound to it by a __Host- cookie", async () => {
    const { authorizeUrl, setCookie } = await startSso(createHttpBrowser(), w.base, "idp-a");
    assert.equal(authorizeUrl.origin, w.a.url);
    const q = authorizeUrl.searchParams;
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("scope"), "openid profile email");
    assert.equal(q.get("client_id"), "verity-a");
    assert.equal(q.get("redirect_uri"), `${w.base}/signin/sso/idp-a/callback`);
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.match(q.get("code_challenge") ?? "", /^[\w-]{43}$/);
    assert.match(q.get("state") ?? "", /^[\w-]{20,}$/);
    assert.match(q.get("nonce") ?? "", /^[\w-]{20,}$/);
    assert.match(setCookie, /^__Host-verity_sso=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=600$/);
    const flowId = setCookie.slice(SSO_COOKIE.length + 1, setCookie.indexOf(";"));
    const rows = await w.t.runtime.database.db.selectFrom("auth_flows").selectAll().execute();
    assert.ok(rows.every((r) => r.id_hash !== flowId), "only a hash of the flow id is stored");
    const row = rows.find((r) => r.state === q.get("state"));
    assert.equal(row?.provider, "idp-a");
    assert.equal(Date.parse(row?.expires_at ?? "") - Date.parse(row?.created_at ?? ""), 10 * 60_000);
  });

  it("signs a mapped person in with the group's role and tenants, and goes where they were going", async () => {
    const browser = createHttpBrowser();
    const done = await signInWithSso(browser, w.base, "idp-a", "tess", "/history");
    assert.equal(done.status, 303, done.text);
    assert.equal(done.location, `${w.base}/history`);
    assert.ok(done.setCookies.some((c) => /^__Host-verity_sso=; .*Max-Age=0/.test(c)), "the flow cookie is cleared");
    assert.ok(browser.cookie(w.base, SESSION_COOKIE) !== undefined);
    const page = await browser.request(`${w.base}/verify`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Tess Technician <span class="role">\(technician\)<\/span>/);
    const user = await ssoUser(w.t.runtime, "idp-a", "tess");
    assert.equal(user?.role, "technician");
    assert.deepEqual(user?.tenants, ["acme"]);
    const [event] = await auditOf(w.t.runtime, "signin.succeeded");
    assert.deepEqual(event?.data, { by: "Tess Technician", method: "sso:idp-a", role: "technician" });
  });

  it("gives the highest of several mapped roles, and every tenant when no group maps to one", async () => {
    const done = await signInWithSso(createHttpBrowser(), w.base, "idp-b", "ada");
    assert.equal(done.status, 303, done.text);
    const user = await ssoUser(w.t.runtime, "idp-b", "ada");
    assert.equal(user?.role, "admin");
    assert.equal(user?.tenants, null);
  });

  it("refuses a person whose groups map to no role (NO_ROLE), and audits it", async () => {
    const done = await signInWithSso(createHttpBrowser(), w.base, "idp-a", "nora");
    await assertRefused(w.t.runtime, done, { status: 403, message: /no Verity role/, reason: /no value of the groups claim maps to a Verity role/, provider: "idp-a" });
    const [event] = await auditOf(w.t.runtime, "signin.failed");
    assert.equal(event?.data.subject, "nora");
    assert.equal(event?.data.code, "NO_ROLE");
    assert.equal(await ssoUser(w.t.runtime, "idp-a", "nora"), undefined, "no account is created");
  });

  it("refuses a disabled SSO user, whatever the provider says", async () => {
    assert.equal((await signInWithSso(createHttpBrowser(), w.base, "idp-a", "dora")).status, 303);
    const dora = await ssoUser(w.t.runtime, "idp-a", "dora");
    assert.ok(dora !== undefined);
    await w.t.runtime.webUsers.setDisabled(dora.id, true, w.t.admin);
    const again = await signInWithSso(createHttpBrowser(), w.base, "idp-a", "dora");
    await assertRefused(w.t.runtime, again, { status: 403, message: /account is disabled/, reason: /account disabled/, provider: "idp-a" });
  });

  it("says so when the provider is unknown or cannot be reached", async () => {
    const unknown = await createHttpBrowser().request(`${w.base}/signin/sso/nope`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /No such sign-in provider/);
    const forged = await createHttpBrowser().request(`${w.base}/signin/sso/no%0D%0Ape/callback?code=x&state=y`);
    assert.equal(forged.status, 404);
    const [event] = await auditOf(w.t.runtime, "signin.failed");
    assert.equal(event?.data.method, "sso:(unknown provider)");
    const down = await createHttpBrowser().request(`${w.base}/signin/sso/down`);
    assert.equal(down.status, 503);
    assert.match(down.text, /identity provider \(down\) could not be reached/);
    assert.ok(!down.setCookies.some((c) => c.startsWith(SSO_COOKIE)), "no flow without a provider");
    const logged = w.t.logs.find((line) => line.includes("single sign-on is not working"));
    assert.match(logged ?? "", /"provider":"down".*could not be reached/);
    assert.ok(!w.t.logs.some((line) => line.includes("secret-of-")), "no client secret in the log");
  });

  it("tells the person when the provider did not sign them in (access_denied)", async () => {
    const browser = createHttpBrowser();
    const { authorizeUrl } = await startSso(browser, w.base, "idp-b");
    const callback = await signInAtIdp(browser, authorizeUrl, "tess");
    callback.searchParams.delete("code");
    callback.searchParams.set("error", "access_denied");
    callback.searchParams.set("error_description", "<script>alert(1)</script> call +1 555 0100 for help");
    const done = await browser.request(callback.href);
    await assertRefused(w.t.runtime, done, { status: 401, message: /did not sign you in \(access_denied\)/, reason: /answered access_denied/, provider: "idp-b" });
    assert.doesNotMatch(done.text, /555 0100|<script>alert/, "the provider's free text is not shown");
  });
});
