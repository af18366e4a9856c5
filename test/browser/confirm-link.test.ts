import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserMissing, serveDemoDesk, startOnVerifyScreen, tapLinkOnDemoPhone } from "../helpers/browser.js";
import { acmeWithLinks } from "../helpers/confirm-link.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { freePort } from "../helpers/net.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Issue 12 in real browsers: a technician starts a confirmation link on the verify screen; the
 * caller, on a phone-sized screen, taps the link on the demo phone and picks the number; the
 * technician's screen shows the outcome live.
 */
describeUnless("confirmation link, technician and caller", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let desk: Page;
  let phone: BrowserContext;

  before(async () => {
    // The demo's links point at its own address, so the server must listen where the config says.
    const port = await freePort();
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, server: { port }, tenants: [acmeWithLinks(dir)] }), demo: true });
    ({ app, base, browser, desk, phone } = await serveDemoDesk(t.runtime, port));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  /** Starts sms-link for Jane on the verify screen; returns the number shown to the technician and the verification id. */
  const startLink = async () => {
    const id = await startOnVerifyScreen(desk, base, TEST_USERS.jane.upn, "sms-link");
    await desk.evaluate(() => Object.assign(window, { notReloaded: true }));
    const challenge = (await desk.locator(".challenge").innerText()).trim();
    return { id, challenge };
  };

  /** The caller taps the link in the demo phone's inbox; the page opens in a new tab. */
  const openOnPhone = async (id: string) => {
    const caller = await tapLinkOnDemoPhone(phone, base, id);
    return caller;
  };

  it("verifies the caller who picks the number read out, and the technician sees VERIFIED live", async () => {
    const { id, challenge } = await startLink();
    assert.match(challenge, /^\d{2}$/);
    assert.match(await desk.locator("#panel").innerText(), /Waiting for Jane Doe to confirm on their phone[\s\S]*Read them the number/);
    const caller = await openOnPhone(id);
    const foreign: string[] = [];
    caller.on("request", (r) => {
      if (!r.url().startsWith(base)) foreign.push(r.url());
    });
    await caller.reload();
    assert.match(await caller.locator("main").innerText(), /Are you on a call with Demo Technician right now\?/);
    const fits = await caller.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(fits, "nothing scrolls sideways on a phone");
    const box = await caller.getByRole("button", { name: "Yes, I picked the number" }).boundingBox();
    assert.ok(box !== null && box.height >= 44, "the buttons are big enough to tap");
    await caller.getByLabel(challenge, { exact: true }).check();
    await caller.getByRole("button", { name: "Yes, I picked the number" }).tap();
    await caller.getByRole("heading", { name: /you are verified/ }).waitFor();
    await desk.locator(".outcome.verified").waitFor({ timeout: 5000 });
    assert.equal(await desk.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, "the technician's page was not reloaded");
    assert.match(await desk.locator(".outcome").innerText(), /VERIFIED[\s\S]*opened the link sent to \+44 ••••• ••0001 and picked the number/);
    assert.deepEqual(foreign, [], "the caller's page loads nothing from elsewhere");
    await caller.reload();
    assert.match(await caller.locator("main").innerText(), /has been used or is no longer valid/);
    await caller.close();
  });

  it("rejects a wrong number, live on the technician's screen", async () => {
    const { id, challenge } = await startLink();
    const caller = await openOnPhone(id);
    const choices = await caller.locator('input[name="number"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    const wrong = choices.find((c) => c !== challenge) ?? "";
    await caller.getByLabel(wrong, { exact: true }).check();
    await caller.getByRole("button", { name: "Yes, I picked the number" }).tap();
    await caller.getByRole("heading", { name: /not the number/ }).waitFor();
    await desk.locator(".outcome.rejected").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome").innerText(), /REJECTED[\s\S]*wrong number/);
    await caller.close();
  });

  it("shows 'this is not me' as FRAUD REPORTED", async () => {
    const { id } = await startLink();
    const caller = await openOnPhone(id);
    await caller.getByRole("button", { name: "No, this is not me" }).tap();
    await caller.getByRole("heading", { name: /reported/ }).waitFor();
    await desk.locator(".outcome.fraud").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome .big").innerText(), /^FRAUD REPORTED$/);
    await caller.close();
  });
});
