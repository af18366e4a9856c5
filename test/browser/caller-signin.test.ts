import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserMissing, serveDemoDesk, startOnVerifyScreen, tapLinkOnDemoPhone } from "../helpers/browser.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { freePort } from "../helpers/net.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Issue 12 in a real browser, as the demo runs it: the technician starts sign-in verification on
 * the verify screen; the caller, on a phone-sized screen, taps the link on the demo phone, presses
 * Sign in, and signs in at the demo's own identity provider (a real OpenID provider on this
 * server, spoken to by openid-client); the technician's screen shows the outcome live.
 */
describeUnless("sign-in verification, technician and caller", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let desk: Page;
  let phone: BrowserContext;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestRuntime({
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { port },
        providers: {
          console: { kind: "console" },
          phone: { kind: "simulated" },
          "demo-signin": { kind: "simulated-signin", issuer: `${base}/demo/idp`, clientId: "verity-demo" },
        },
        tenants: [acmeTenant(dir, { methods: { sms: "console", "sms-signin": { provider: "console", service: "demo-signin" }, "simulated-push": "phone" } })],
      }),
      demo: true,
    });
    ({ app, browser, desk, phone } = await serveDemoDesk(t.runtime, port));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  const startSignin = async () => {
    const id = await startOnVerifyScreen(desk, base, TEST_USERS.jane.upn, "sms-signin");
    await desk.evaluate(() => Object.assign(window, { notReloaded: true }));
    return id;
  };

  /** The caller taps the link on the demo phone, presses Sign in, and reaches the provider's login page. */
  const toProvider = async (id: string) => {
    const caller = await tapLinkOnDemoPhone(phone, base, id);
    assert.match(await caller.locator("main").innerText(), /Sign in to Acme Test to confirm it is you/);
    await caller.getByRole("button", { name: "Sign in" }).tap();
    await caller.waitForURL(/\/demo\/idp\/authorize\?/);
    assert.match(await caller.locator("body").innerText(), /DEMO identity provider/);
    return caller;
  };

  it("verifies the caller who signs in with a passkey; the technician sees VERIFIED at the phishing-resistant level", async () => {
    const id = await startSignin();
    const caller = await toProvider(id);
    assert.equal(await caller.locator("#person option").first().innerText(), `Jane Doe (Jane@Acme.test)`, "the caller is offered first");
    await caller.getByLabel("a passkey (phishing-resistant)").check();
    await caller.getByRole("button", { name: "Sign in" }).click();
    await caller.getByRole("heading", { name: /you are verified/ }).waitFor();
    const callbackUrl = caller.url();
    assert.match(callbackUrl, /\/c\/signin\/callback\?/);
    await desk.locator(".outcome.verified").waitFor({ timeout: 5000 });
    assert.equal(await desk.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, "the technician's page updated live");
    assert.match(await desk.locator("#panel").innerText(), /VERIFIED[\s\S]*Level 4 of 5: a phishing-resistant sign-in/);
    // The callback replayed (a reload, a copied URL): refused, and the verification stays as it ended.
    await caller.reload();
    assert.match(await caller.locator("main").innerText(), /CALLER_SIGNIN_FLOW_INVALID/);
    await caller.close();
  });

  it("rejects a password-only sign-in as not phishing-resistant", async () => {
    const id = await startSignin();
    const caller = await toProvider(id);
    await caller.getByLabel("a password only").check();
    await caller.getByRole("button", { name: "Sign in" }).click();
    await caller.getByRole("heading", { name: /not strong enough/ }).waitFor();
    await desk.locator(".outcome.rejected").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome").innerText(), /REJECTED[\s\S]*not phishing resistant/);
    await caller.close();
  });

  // Last: the fraud flag makes a new verification of Jane need an administrator's override.
  it("rejects a sign-in by another person with the fraud flag", async () => {
    const id = await startSignin();
    const caller = await toProvider(id);
    await caller.locator("#person").selectOption({ label: "Sam Patel (sam@acme.test)" });
    await caller.getByLabel("a passkey (phishing-resistant)").check();
    await caller.getByRole("button", { name: "Sign in" }).click();
    await caller.getByRole("heading", { name: /someone else's account/ }).waitFor();
    await desk.locator(".outcome.fraud").waitFor({ timeout: 5000 });
    assert.match(await desk.locator(".outcome .big").innerText(), /FRAUD/);
    await caller.close();
  });
});
