import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { existsSync } from "node:fs";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type Page } from "playwright-core";
import { listen } from "../helpers/server.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const MARKUP = `Acme <img src=x onerror="document.title='pwned'">`;
import { waitFor, waitForFinal } from "../helpers/engine.js";

const CHROMIUM = process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set VERITY_CHROMIUM)`;
if (missing !== false && process.env.VERITY_REQUIRE_BROWSER === "1") throw new Error(`A browser is required here: ${missing}`);

/** The demo phone page in a real (headless) browser, driven like a newcomer would. */
describeUnless("the demo phone page", missing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;

  before(async () => {
    // The organisation's name carries markup: the page must show it as text.
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, tenants: [acmeTenant(dir, { name: MARKUP })] }), demo: true });
    ({ app, base } = await listen(t.runtime));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage();
    await page.goto(`${base}/demo/phone`);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  it("shows a DEMO banner", async () => {
    assert.match(await page.locator("header.banner").innerText(), /DEMO/);
    assert.equal(await page.title(), "DEMO phone · Verity");
  });

  it("shows a text message, masked, as text even when it carries markup", async () => {
    const ticket = `<img src=x onerror="document.title='ticket'">`;
    await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", ticket });
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    const message = page.locator("#messages li.message").first();
    await message.waitFor();
    await waitFor(async () => (await message.innerText()).includes(code));
    const text = await message.innerText();
    assert.match(text, /SMS to \+44 ••••• ••0001/);
    assert.ok(text.includes(MARKUP), "markup is shown as text");
    assert.ok(!text.includes(ticket), "a ticket's free text never reaches the caller");
    assert.ok(!text.includes("900001"));
    assert.equal(await page.title(), "DEMO phone · Verity", "no script ran");
  });

  it("approves a push when the caller taps the number the technician reads", async () => {
    const view = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push", ticket: "1042" });
    const prompt = page.locator("#prompts li.prompt").first();
    await prompt.waitFor();
    assert.match(await prompt.innerText(), /Terry at the service desk is checking your identity \(ticket 1042\)/);
    await prompt.getByRole("button", { name: `Approve with number ${view.challenge ?? ""}` }).click();
    const final = await waitForFinal(t.runtime.engine, t.technician, view.id);
    assert.equal(final.state, "verified");
    await page.locator("#prompts li.empty").waitFor();
  });

  it("shows the simulated authenticator's current code", async () => {
    await page.fill("#passcode-user", "jane");
    await page.click("#passcode-form button");
    await waitFor(async () => /^\d{6}$/.test(await page.locator("#passcode").innerText()));
    assert.equal(await page.locator("#passcode").innerText(), await t.runtime.dev.simulated.get("phone")!.currentPasscode("jane"));
  });
});
