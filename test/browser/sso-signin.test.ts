import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type Page } from "playwright-core";
import { DEFAULT_PASSWORD } from "../fakes/oidc/local-idp.js";
import { startLocalOidc, type LocalOidc } from "../fakes/oidc/local-oidc.js";
import { createFakeClock } from "../helpers/clock.js";
import { createTestRuntime, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";
import { describeUnless } from "../helpers/skip.js";
import { PEOPLE } from "../helpers/sso.js";

const CHROMIUM = process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set VERITY_CHROMIUM)`;
if (missing !== false && process.env.VERITY_REQUIRE_BROWSER === "1") throw new Error(`A browser is required here: ${missing}`);

/** Single sign-on in a real (headless) browser: the button, the provider's login page, back signed in. */
describeUnless("SSO sign-in in a browser", missing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let idp: LocalOidc;
  let browser: Browser;
  let base: string;

  before(async () => {
    idp = await startLocalOidc({ accounts: PEOPLE });
    t = await createTestRuntime({
      clock: createFakeClock(new Date()),
      overrides: {
        web: {
          sso: [{ name: "test-idp", label: "Test Identity", kind: "oidc", issuer: idp.url, clientId: "verity", clientSecret: "browser-test-secret", roleClaim: "groups", roles: { "verity-techs": "technician" } }],
        },
      },
    });
    ({ app, base } = await listen(t.runtime));
    idp.start([{ clientId: "verity", clientSecret: "browser-test-secret", redirectUris: [`${base}/signin/sso/test-idp/callback`] }]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
    await idp?.close();
  });

  /** From Verity's sign-in page through the provider's login page, as a person would. */
  const signIn = async (page: Page, login: string) => {
    await page.goto(`${base}/signin`);
    await page.getByRole("link", { name: "Sign in with Test Identity" }).click();
    await page.waitForURL((url) => url.href.startsWith(`${idp.url}/interaction/`));
    await page.fill("#login", login);
    await page.fill("#password", DEFAULT_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
  };

  it("signs a technician in and lands on /verify with their name and role in the header", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "tess");
    await page.waitForURL(`${base}/verify`);
    assert.equal(await page.locator("header .who > span").innerText(), "Tess Technician (technician)");
    const cookies = await context.cookies(base);
    assert.ok(cookies.some((c) => c.name === "__Host-verity_session" && c.httpOnly && c.secure && c.sameSite === "Lax"));
    assert.ok(!cookies.some((c) => c.name === "__Host-verity_sso"), "the flow cookie is gone");
    await context.close();
  });

  it("shows a person with no mapped role why they cannot sign in", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, "nora");
    await page.waitForURL((url) => url.href.startsWith(`${base}/signin/sso/test-idp/callback`));
    assert.match(await page.getByRole("alert").innerText(), /Your account has no Verity role/);
    assert.equal(await page.locator("header .who").count(), 0, "nobody is signed in");
    await context.close();
  });
});
