import { existsSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildApp } from "../../src/http/build-app.js";
import type { Runtime } from "../../src/main.js";

/** Debian's chromium (or $VERITY_CHROMIUM); never a downloaded browser. */
export const CHROMIUM = process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium";

/** Why browser tests cannot run here, or false; with VERITY_REQUIRE_BROWSER=1 a missing browser is an error. */
export const browserMissing: string | false = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set VERITY_CHROMIUM)`;
if (browserMissing !== false && process.env.VERITY_REQUIRE_BROWSER === "1") throw new Error(`A browser is required here: ${browserMissing}`);

/** Headless chromium with the flags this machine's closed network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * The demo's two screens: the technician's browser, signed in with the demo's one-click button and
 * on the verify page, and a phone-sized touch context for the caller (the demo phone's inbox).
 */
export async function openDemoDesk(browser: Browser, base: string): Promise<{ desk: Page; phone: BrowserContext }> {
  const desk = await (await browser.newContext()).newPage();
  await desk.goto(`${base}/`);
  await desk.getByRole("button", { name: "Continue as Demo Technician" }).click();
  await desk.waitForURL(`${base}/verify`);
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  return { desk, phone };
}

/**
 * Serves `runtime` on `port` (built for that port: the demo's links point at it), launches the
 * browser and opens the demo desk there. The caller closes the browser, then the app.
 */
export async function serveDemoDesk(runtime: Runtime, port: number): Promise<{ app: FastifyInstance; base: string; browser: Browser; desk: Page; phone: BrowserContext }> {
  const app = await buildApp(runtime);
  await app.listen({ host: "127.0.0.1", port });
  const base = `http://127.0.0.1:${port}`;
  const browser = await launchBrowser();
  return { app, base, browser, ...(await openDemoDesk(browser, base)) };
}

/** Starts `method` for `upn` on the verify screen; returns the new verification's id. */
export async function startOnVerifyScreen(desk: Page, base: string, upn: string, method: string): Promise<string> {
  await desk.goto(`${base}/verify?user=${encodeURIComponent(upn)}`);
  await desk.locator(`input[name="method"][value="${method}"]`).check();
  await desk.getByRole("button", { name: "Start verification" }).click();
  await desk.waitForURL(/\/verify\/[0-9a-f-]{36}$/);
  return /\/verify\/([0-9a-f-]{36})$/.exec(desk.url())?.[1] ?? "";
}

/** Taps the verification's link in the demo phone's inbox; returns the page it opened (the inbox is closed). */
export async function tapLinkOnDemoPhone(phone: BrowserContext, base: string, id: string): Promise<Page> {
  const inbox = await phone.newPage();
  await inbox.goto(`${base}/demo/phone`);
  const link = inbox.locator(`li[data-verification="${id}"] a.confirm-link`);
  await link.waitFor({ timeout: 5000 });
  const [caller] = await Promise.all([phone.waitForEvent("page"), link.click()]);
  await caller.waitForLoadState();
  await inbox.close();
  return caller;
}
