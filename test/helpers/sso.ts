import assert from "node:assert/strict";
import type { Runtime } from "../../src/main.js";
import { DEFAULT_PASSWORD, listenIdp, type LocalAccount } from "../fakes/oidc/local-idp.js";
import { startLocalOidc, type LocalOidc } from "../fakes/oidc/local-oidc.js";
import { createFakeClock } from "./clock.js";
import type { HttpBrowser } from "./http-browser.js";
import { acmeTenant, createTestRuntime, globexTenant, ROOMY_LIMITS, type TestRuntime } from "./runtime.js";
import { listen } from "./server.js";

export const SSO_COOKIE = "__Host-verity_sso";
export const SESSION_COOKIE = "__Host-verity_session";

const isCallback = (url: URL) => /^\/signin\/sso\/[^/]+\/callback$/.test(url.pathname);

/** Presses "Sign in with …": Verity's answer and the provider URL it sends the browser to. */
export async function startSso(browser: HttpBrowser, base: string, name: string, next = "/verify"): Promise<{ authorizeUrl: URL; setCookie: string }> {
  const answer = await browser.request(`${base}/signin/sso/${name}?next=${encodeURIComponent(next)}`);
  assert.equal(answer.status, 303, answer.text);
  assert.ok(answer.location !== undefined);
  const setCookie = answer.setCookies.find((c) => c.startsWith(`${SSO_COOKIE}=`));
  assert.ok(setCookie !== undefined, "the flow cookie is set");
  return { authorizeUrl: new URL(answer.location), setCookie };
}

/** Signs in at the provider's own login page; returns the callback URL the provider redirects to, not yet delivered. */
export async function signInAtIdp(browser: HttpBrowser, authorizeUrl: URL, login: string, password = DEFAULT_PASSWORD): Promise<URL> {
  const toLogin = await browser.follow(authorizeUrl.href, (url) => url.pathname.includes("/interaction/") || isCallback(url));
  if (toLogin.stoppedAt !== undefined && isCallback(new URL(toLogin.stoppedAt))) return new URL(toLogin.stoppedAt);
  assert.ok(toLogin.stoppedAt !== undefined, `the provider asks for a login: ${toLogin.answer.status} ${toLogin.answer.text.slice(0, 200)}`);
  const form = await browser.request(toLogin.stoppedAt);
  assert.equal(form.status, 200, form.text);
  const posted = await browser.request(toLogin.stoppedAt, { method: "POST", form: { prompt: "login", login, password } });
  assert.equal(posted.status, 303, posted.text);
  const back = await browser.follow(posted.location ?? "", isCallback);
  assert.ok(back.stoppedAt !== undefined, `the provider sends the browser back: ${back.answer.status} ${back.answer.text.slice(0, 300)}`);
  return new URL(back.stoppedAt);
}

/** The whole round: button, provider login, callback. Returns Verity's answer to the callback. */
export async function signInWithSso(browser: HttpBrowser, base: string, name: string, login: string, next = "/verify") {
  const { authorizeUrl } = await startSso(browser, base, name, next);
  const callback = await signInAtIdp(browser, authorizeUrl, login);
  return browser.request(callback.href);
}

/** The newest audit events of an action, data parsed. */
export async function auditOf(runtime: Runtime, action: string) {
  const rows = await runtime.database.db.selectFrom("audit_events").selectAll().where("action", "=", action).orderBy("seq", "desc").execute();
  return rows.map((r) => ({ ...r, data: r.data === null ? {} : (JSON.parse(r.data) as Record<string, unknown>) }));
}

/** Asserts a refusal: the sign-in page with `message`, `status`, no session, and a signin.failed event whose reason matches. */
export async function assertRefused(
  runtime: Runtime,
  answer: { status: number; text: string; setCookies: readonly string[] },
  expected: { status: number; message: RegExp; reason: RegExp; provider: string },
): Promise<void> {
  assert.equal(answer.status, expected.status, answer.text.slice(0, 500));
  assert.match(answer.text, /<h1>Sign in to Verity<\/h1>/);
  assert.match(answer.text, expected.message);
  assert.doesNotMatch(answer.text, /\bat \w+ \(|node_modules|Error:/, "no stack trace on the page");
  assert.ok(!answer.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`) && !/Max-Age=0/.test(c)), "no session is started");
  const [event] = await auditOf(runtime, "signin.failed");
  assert.ok(event !== undefined, "the refusal is audited");
  assert.equal(event.data.method, `sso:${expected.provider}`);
  assert.match(event.reason ?? "", expected.reason);
}

/** People at the local providers: their groups are what Verity maps. */
export const PEOPLE: Record<string, LocalAccount> = {
  tess: { claims: { name: "Tess Technician", email: "tess@acme.test", groups: ["verity-techs", "acme-desk"] } },
  ada: { claims: { name: "Ada Admin", groups: ["verity-auditors", "verity-admins"] } },
  nora: { claims: { name: "Nora Norole", groups: ["marketing"] } },
  dora: { claims: { name: "Dora Disabled", groups: ["verity-techs"] } },
};

const GROUP_ROLES = { "verity-admins": "admin", "verity-techs": "technician", "verity-auditors": "auditor" };

export interface SsoWorld {
  readonly t: TestRuntime;
  readonly base: string;
  /** idp-a (maps acme-desk to the acme tenant) and idp-b: two standard providers, for mix-ups. */
  readonly a: LocalOidc;
  readonly b: LocalOidc;
  close(): Promise<void>;
}

/** Verity listening with three providers configured: idp-a, idp-b, and `down` (nothing listens there). */
export async function startSsoWorld(): Promise<SsoWorld> {
  const a = await startLocalOidc({ accounts: PEOPLE });
  const b = await startLocalOidc({ accounts: PEOPLE });
  const closed = await listenIdp(() => []);
  await closed.close();
  const t = await createTestRuntime({
    clock: createFakeClock(new Date()),
    overrides: (dir) => ({
      ...ROOMY_LIMITS,
      server: { requestsPerMinute: 100_000 },
      tenants: [acmeTenant(dir), globexTenant(dir)],
      web: {
        sso: [
          { name: "idp-a", label: "Identity A", kind: "oidc", issuer: a.url, clientId: "verity-a", clientSecret: "secret-of-a-0123456789", roleClaim: "groups", roles: GROUP_ROLES, tenants: { "acme-desk": ["acme"] } },
          { name: "idp-b", label: "Identity B", kind: "oidc", issuer: b.url, clientId: "verity-b", clientSecret: "secret-of-b-0123456789", roleClaim: "groups", roles: GROUP_ROLES },
          { name: "down", label: "Nobody", kind: "oidc", issuer: closed.url, clientId: "verity-c", clientSecret: "secret-of-c", roles: { x: "admin" }, timeoutSeconds: 2 },
        ],
      },
    }),
  });
  const { app, base } = await listen(t.runtime);
  a.start([{ clientId: "verity-a", clientSecret: "secret-of-a-0123456789", redirectUris: [`${base}/signin/sso/idp-a/callback`] }]);
  b.start([{ clientId: "verity-b", clientSecret: "secret-of-b-0123456789", redirectUris: [`${base}/signin/sso/idp-b/callback`] }]);
  return {
    t,
    base,
    a,
    b,
    async close() {
      await app.close();
      await t.close();
      await a.close();
      await b.close();
    },
  };
}

/** The stored user an SSO identity became (provider and subject), if any. */
export async function ssoUser(runtime: Runtime, provider: string, subject: string) {
  const row = await runtime.database.db.selectFrom("users").selectAll().where("provider", "=", provider).where("subject", "=", subject).executeTakeFirst();
  return row === undefined ? undefined : { ...row, tenants: row.tenants === null ? null : (JSON.parse(row.tenants) as string[]) };
}
