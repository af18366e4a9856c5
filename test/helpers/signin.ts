import assert from "node:assert/strict";
import { DEFAULT_PASSWORD } from "../fakes/oidc/local-idp.js";
import type { Authenticator } from "../fakes/oidc/local-signin-idp.js";
import type { HttpBrowser } from "./http-browser.js";

/** Verity's one redirect URI for caller sign-in (never requested by these helpers: the callback is caught). */
export const SIGNIN_CALLBACK_PATH = "/c/signin/callback";

const isCallback = (url: URL) => url.pathname === SIGNIN_CALLBACK_PATH;

/**
 * The caller at their identity provider: follows the authorize URL to the login page, signs in as
 * `login` with `authenticator`, and returns the callback URL the provider sends the browser to
 * (not yet delivered), or the provider's own error page when it ends there.
 */
export async function signInAtProvider(browser: HttpBrowser, authorizeUrl: string, login: string, authenticator: Authenticator = "passkey"): Promise<URL> {
  const toLogin = await browser.follow(authorizeUrl, (url) => url.pathname.includes("/interaction/") || isCallback(url));
  assert.ok(toLogin.stoppedAt !== undefined, `the provider asks for a login: ${toLogin.answer.status} ${toLogin.answer.text.slice(0, 300)}`);
  if (isCallback(new URL(toLogin.stoppedAt))) return new URL(toLogin.stoppedAt);
  const form = await browser.request(toLogin.stoppedAt);
  assert.equal(form.status, 200, form.text);
  const posted = await browser.request(toLogin.stoppedAt, { method: "POST", form: { prompt: "login", login, password: DEFAULT_PASSWORD, authenticator } });
  assert.equal(posted.status, 303, posted.text);
  const back = await browser.follow(posted.location ?? "", isCallback);
  assert.ok(back.stoppedAt !== undefined, `the provider sends the browser back: ${back.answer.status} ${back.answer.text.slice(0, 300)}`);
  return new URL(back.stoppedAt);
}
