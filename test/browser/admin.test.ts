import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type Page } from "playwright-core";
import { createTestRuntime, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";
import { describeUnless } from "../helpers/skip.js";

const CHROMIUM = process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set VERITY_CHROMIUM)`;
if (missing !== false && process.env.VERITY_REQUIRE_BROWSER === "1") throw new Error(`A browser is required here: ${missing}`);

/** The administration pages in a real (headless) browser, as the demo's administrator uses them. */
describeUnless("administration in the browser", missing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let token = "";

  before(async () => {
    t = await createTestRuntime({ demo: true });
    ({ app, base } = await listen(t.runtime));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  it("signs in as the Demo Administrator with one click and finds Administration", async () => {
    await page.goto(`${base}/signin`);
    await page.getByRole("button", { name: "Continue as Demo Administrator" }).click();
    await page.waitForURL(/\/verify$/);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }).click();
    await page.waitForURL(/\/admin$/);
    assert.equal(await page.title(), "Administration · Verity");
  });

  it("creates a token that is shown once: a reload shows it no more", async () => {
    await page.getByRole("link", { name: "API tokens" }).click();
    await page.getByLabel("Name (who or what uses it)").fill("Browser test token");
    await page.getByLabel("Role").selectOption("technician");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.waitForURL(/\/admin\/tokens\/new$/);
    token = await page.locator("#new-token").inputValue();
    assert.match(token, /^vrt_[A-Za-z0-9_-]{43}$/);
    assert.equal((await t.runtime.tokens.authenticate(token))?.name, "Browser test token");
    await page.reload();
    assert.equal(await page.locator("#new-token").count(), 0);
    assert.match(await page.locator("main").innerText(), /shown once, right after it is created, and never again/);
    assert.ok(!(await page.content()).includes(token));
  });

  it("revokes it", async () => {
    await page.getByRole("link", { name: "Back to API tokens" }).click();
    await page.getByRole("button", { name: "Revoke Browser test token" }).click();
    await page.waitForURL(/\/admin\/tokens\?revoked=/);
    assert.match(await page.getByRole("status").first().innerText(), /Revoked Browser test token: it no longer works\./);
    assert.equal(await t.runtime.tokens.authenticate(token), null);
    assert.equal(await page.getByRole("button", { name: "Revoke Browser test token" }).count(), 0);
  });

  it("tests a connection and shows what it found", async () => {
    await page.goto(`${base}/admin/integrations`);
    await page.getByRole("button", { name: "Test connection: Directory, acme" }).click();
    await page.waitForURL(/\/admin\/integrations\?tested=directory%3Aacme$/);
    assert.match(await page.getByRole("status").first().innerText(), /^acme: OK\. The directory file .*directory\.yaml is valid and lists 5 users/);
    const row = page.locator("tr", { has: page.getByRole("button", { name: "Test connection: Directory, acme" }) });
    assert.match(await row.innerText(), /OK\s+The directory file/);
  });
});
