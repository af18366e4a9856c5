import type { BrowserContext, Page } from "playwright-core";
import type { FakeClock } from "./clock.js";
import { totpCode } from "./totp.js";

export { browserMissing, launchBrowser } from "./browser.js";

export const SESSION_COOKIE = "__Host-verity_session";
export const TEST_PASSWORD = "correct horse battery";

/**
 * Signs in through the sign-in page as a person would: username, password, and the code their
 * authenticator shows now. The clock moves on one TOTP step first, as a code works only once.
 */
export async function signInOnPage(page: Page, base: string, who: { username: string; secret: string; password?: string; code?: string; next?: string }, clock: FakeClock) {
  clock.advance(30_000);
  await page.goto(`${base}/signin${who.next === undefined ? "" : `?next=${encodeURIComponent(who.next)}`}`);
  await page.getByLabel("Username").fill(who.username);
  await page.getByLabel("Password").fill(who.password ?? TEST_PASSWORD);
  await page.getByLabel("Code from your authenticator app").fill(who.code ?? totpCode(who.secret, clock));
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/signin"),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  await page.waitForLoadState();
  return response;
}

/** The session cookie's value in a browser context. */
export async function sessionCookie(context: BrowserContext, base: string): Promise<string | undefined> {
  return (await context.cookies(base)).find((c) => c.name === SESSION_COOKIE)?.value;
}

/** A request carrying only this session cookie, as another program holding a stolen copy would send it. */
export function fetchWithCookie(base: string, path: string, cookie: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { redirect: "manual", ...init, headers: { ...(init.headers as Record<string, string> | undefined), cookie: `${SESSION_COOKIE}=${cookie}` } });
}
