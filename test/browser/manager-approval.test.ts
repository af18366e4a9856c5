import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserMissing, serveDemoDesk, startOnVerifyScreen } from "../helpers/browser.js";
import { acmeWithApproval } from "../helpers/manager-approval.js";
import { freePort } from "../helpers/net.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Manager approval in real browsers: a technician starts it on the verify screen; the manager
 * opens the email on the demo phone (the console channel's inbox) and answers on the approval
 * page; the technician's screen shows the outcome live.
 */
describeUnless("manager approval, technician and manager", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let desk: Page;
  let phone: BrowserContext;

  before(async () => {
    const port = await freePort();
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, server: { port }, tenants: [acmeWithApproval(dir)] }), demo: true });
    ({ app, base, browser, desk, phone } = await serveDemoDesk(t.runtime, port));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  const startApproval = async (user: string) => {
    return startOnVerifyScreen(desk, base, user, "manager-approval");
  };

  /** The manager opens the email's link from the demo phone's inbox; the page opens in a new tab. */
  const openAsManager = async (id: string, caller: string) => {
    const inbox = await phone.newPage();
    await inbox.goto(`${base}/demo/phone`);
    const item = inbox.locator(`li[data-verification="${id}"]`);
    await item.waitFor({ timeout: 5000 });
    const text = await item.innerText();
    assert.match(text, /EMAIL to m•••@a•••\.test/, "to the manager's address, masked");
    assert.ok(text.includes(`do you approve that Demo acts for ${caller}?`), text);
    const [manager] = await Promise.all([phone.waitForEvent("page"), item.locator("a.confirm-link").click()]);
    await manager.waitForLoadState();
    await inbox.close();
    return manager;
  };

  it("verifies when the manager approves, and the technician sees VERIFIED live", async () => {
    const id = await startApproval("jane@acme.test");
    assert.match(await desk.locator("#panel").innerText(), /Waiting for Jane Doe's manager to answer/);
    const manager = await openAsManager(id, "Jane Doe");
    const foreign: string[] = [];
    manager.on("request", (r) => {
      if (!r.url().startsWith(base)) foreign.push(r.url());
    });
    await manager.reload();
    assert.match(await manager.locator("main").innerText(), /Do you approve that Demo Technician acts for Jane Doe now\?/);
    const fits = await manager.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(fits, "nothing scrolls sideways on a phone");
    await manager.getByRole("button", { name: "Approve", exact: true }).tap();
    await manager.getByRole("heading", { name: /approved/ }).waitFor();
    await desk.locator(".outcome.verified").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome").innerText(), /VERIFIED[\s\S]*manager approved/);
    assert.deepEqual(foreign, []);
    await manager.reload();
    assert.match(await manager.locator("main").innerText(), /cannot be used/);
    await manager.close();
  });

  it("shows a manager's 'I do not approve' as FRAUD REPORTED", async () => {
    const id = await startApproval("sam@acme.test");
    const manager = await openAsManager(id, "Sam Patel");
    await manager.getByRole("button", { name: "I do not approve / I don't know about this" }).tap();
    await manager.getByRole("heading", { name: /not approved/ }).waitFor();
    await desk.locator(".outcome.fraud").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome .big").innerText(), /^FRAUD REPORTED$/);
    await manager.close();
  });
});
