import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { demoConfig } from "../../src/config/demo.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { browserMissing, serveDemoDesk, startOnVerifyScreen, tapLinkOnDemoPhone } from "../helpers/browser.js";
import { captureLogs } from "../helpers/logs.js";
import { freePort } from "../helpers/net.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Issue 12, Face Check in real browsers on the built-in demo: the technician starts sms-faceid on
 * the verify screen; the caller, on a phone-sized screen, opens the link from the demo phone and
 * presses "Open Microsoft Authenticator"; the demo phone's simulated wallet presents the
 * credential (the simulated Request Service sends the real callbacks); the technician's screen
 * shows the outcome live.
 */
describeUnless("Face Check on the demo, technician and caller", browserMissing, () => {
  let dir: string;
  let runtime: Runtime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let desk: Page;
  let phone: BrowserContext;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "verity-faceid-browser-"));
    const port = await freePort();
    runtime = await createRuntime(demoConfig({}, dir, port), { logDestination: captureLogs().stream, print: () => {} });
    ({ app, base, browser, desk, phone } = await serveDemoDesk(runtime, port));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startFaceCheck = async (user: string) => {
    return startOnVerifyScreen(desk, base, user, "sms-faceid");
  };

  /** The caller opens the link from the demo phone's messages and presses the button. */
  const pressOnPhone = async (id: string) => {
    const caller = await tapLinkOnDemoPhone(phone, base, id);
    assert.match(await caller.locator("main").innerText(), /Microsoft Authenticator will ask you to share your work credential/);
    const fits = await caller.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(fits, "nothing scrolls sideways on a phone");
    await caller.getByRole("button", { name: "Open Microsoft Authenticator" }).tap();
    await caller.getByRole("heading", { name: "Continue in Microsoft Authenticator" }).waitFor();
    const href = await caller.locator("#wallet-link").getAttribute("href");
    assert.match(href ?? "", /^openid-vc:\/\/\?request_uri=/);
    assert.equal(await caller.locator("#wallet-qr").evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), true, "the QR code renders");
    return caller;
  };

  /** The simulated wallet on the demo phone answers the newest request. */
  const presentOnPhone = async (label: RegExp) => {
    const wallet = await phone.newPage();
    await wallet.goto(`${base}/demo/phone`);
    const request = wallet.locator("#presentations li[data-presentation]").first();
    await request.waitFor({ timeout: 5000 });
    const requestId = await request.getAttribute("data-presentation");
    await request.getByRole("button", { name: label }).click();
    // Presented once: the simulated service drops it from the list.
    await wallet.locator(`#presentations li[data-presentation="${requestId ?? ""}"]`).waitFor({ state: "detached", timeout: 5000 });
    await wallet.close();
  };

  it("verifies the caller whose face matches, and the technician sees VERIFIED at level proofing live", async () => {
    const id = await startFaceCheck("jane.doe@acme.example");
    assert.match(await desk.locator("#panel").innerText(), /Waiting for Jane Doe to present their Verified ID with Face Check/);
    const caller = await pressOnPhone(id);
    await desk.locator("#faceid-progress").filter({ hasText: /pressed "Open Microsoft Authenticator"/ }).waitFor({ timeout: 5000 });
    await presentOnPhone(/face matches \(score 92\)/);
    await desk.locator(".outcome.verified").waitFor({ timeout: 5000 });
    const outcome = await desk.locator(".outcome").innerText();
    assert.match(outcome, /VERIFIED/);
    assert.match(outcome, /passed Face Check/);
    assert.match(await desk.locator("#panel").innerText(), /Level 5 of 5: identity proofing with a liveness check/);
    await caller.reload();
    assert.match(await caller.locator("main").innerText(), /has been used or is no longer valid/);
    await caller.close();
  });

  it("someone else's credential shows as FRAUD REPORTED", async () => {
    const id = await startFaceCheck("chris.lee@acme.example");
    const caller = await pressOnPhone(id);
    await presentOnPhone(/someone else's credential/);
    await desk.locator(".outcome.fraud").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome .big").innerText(), /^FRAUD REPORTED$/);
    await caller.close();
  });
});
