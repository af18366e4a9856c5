import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { browserMissing, launchBrowser } from "../helpers/browser.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, globexTenant, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";
import { describeUnless } from "../helpers/skip.js";
import { join } from "node:path";

/**
 * Issue 10: the verify screen in a real browser, as a technician uses it. Each test asserts what a
 * person sees.
 */
describeUnless("the web app's verify screen", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, tenants: [acmeTenant(dir), globexTenant(dir)] }), demo: true });
    ({ app, base } = await listen(t.runtime));
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByRole("button", { name: "Continue as Demo Technician" }).click();
    await page.waitForURL(`${base}/verify`);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  const phone = () => t.runtime.dev.simulated.get("phone")!;
  const latestCode = async (to: string) => {
    const message = (await readOutbox(join(t.runtime.config.dataDir, "dev-outbox.jsonl"), 50)).find((m) => m.to === to);
    return message?.text.match(/\b(\d{6})\b/)?.[1] ?? "";
  };

  it("signs in with one click in the demo and shows who is signed in", async () => {
    assert.match(await page.locator("header.top").innerText(), /Demo Technician \(technician\)/);
    assert.equal(await page.title(), "Verify a caller · Verity");
  });

  it("finds a caller as you type and verifies them by SMS, keyboard only", async () => {
    await page.goto(`${base}/verify`);
    await page.locator("#q").focus();
    await page.keyboard.type("jane");
    await page.locator("#results li a").first().waitFor();
    assert.match(await page.locator("#results").innerText(), /Jane Doe/);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.locator("#start-form").waitFor();
    await page.locator('input[name="method"][value="sms"]').focus();
    await page.keyboard.press("Space");
    await page.locator("#start-form button[type=submit]").focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/verify\/[0-9a-f-]{36}$/);
    assert.match(await page.locator("#panel").innerText(), /Code sent to \+44 ••••• ••0001/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), "code", "the code box has the focus");
    const code = await waitFor(async () => (await latestCode(TEST_USERS.jane.mobile)) || undefined);
    await page.keyboard.type(code === "000000" ? "111111" : "000000");
    await page.keyboard.press("Enter");
    await page.getByText("That code is not right. 4 checks left.").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "code", "focus stays in the code box");
    await page.keyboard.type(code);
    await page.keyboard.press("Enter");
    await page.locator(".outcome.verified").waitFor();
    assert.match(await page.locator(".outcome").innerText(), /VERIFIED/);
    assert.match(await page.locator("#panel").innerText(), /Audit event #\d+ \(check\.accepted\)/);
  });

  const startPush = async (user: string) => {
    await page.goto(`${base}/verify?user=${encodeURIComponent(user)}`);
    await page.locator('input[name="method"][value="simulated-push"]').check();
    await page.getByRole("button", { name: "Start verification" }).click();
    await page.waitForURL(/\/verify\/[0-9a-f-]{36}$/);
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    const challenge = (await page.locator(".challenge").innerText()).trim();
    const prompt = await waitFor(async () => (await phone().pendingPrompts()).find((p) => p.challenge === challenge));
    return { challenge, prompt };
  };

  it("shows a push's number to read out, and the approval live with no reload", async () => {
    const { challenge, prompt } = await startPush(TEST_USERS.jane.upn);
    assert.match(challenge, /^\d{2}$/);
    assert.match(await page.locator("#panel").innerText(), /Waiting for them to answer/);
    await phone().answer(prompt.id, { decision: "approve", number: challenge });
    await page.locator(".outcome.verified").waitFor({ timeout: 5000 });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, "the page was not reloaded");
    assert.match(await page.locator(".outcome").innerText(), /VERIFIED[\s\S]*Jane Doe approved the push in the demo authenticator/);
  });

  it("lets the demo phone answer in the same browser as the signed-in technician", async () => {
    const { challenge } = await startPush(TEST_USERS.jane.upn);
    const phonePage = await context.newPage();
    await phonePage.goto(`${base}/demo/phone`);
    await phonePage.getByRole("button", { name: `Approve with number ${challenge}` }).click();
    await page.locator(".outcome.verified").waitFor({ timeout: 5000 });
    await phonePage.close();
  });

  it("shows a denial in words, not colour alone", async () => {
    const { prompt } = await startPush(TEST_USERS.jane.upn);
    await phone().answer(prompt.id, { decision: "deny" });
    await page.locator(".outcome.denied").waitFor({ timeout: 5000 });
    assert.match(await page.locator(".outcome .big").innerText(), /^DENIED$/);
  });

  it("asks for a second method when policy requires one, and says when it is satisfied", async () => {
    await page.goto(`${base}/verify?user=${encodeURIComponent(TEST_USERS.sam.upn)}&ticket=1042`);
    assert.match(await page.locator("#main").innerText(), /Policy: verify with two different methods/);
    await page.locator('input[name="method"][value="sms"]').check();
    await page.getByRole("button", { name: "Start verification" }).click();
    await page.waitForURL(/\/verify\/[0-9a-f-]{36}$/);
    const code = await waitFor(async () => (await latestCode(TEST_USERS.sam.mobile)) || undefined);
    await page.locator("#code").fill(code);
    await page.locator("#code").press("Enter");
    await page.getByText("Policy is not yet satisfied").waitFor();
    await page.getByRole("link", { name: "Verify with a second method" }).click();
    await page.locator('input[name="method"][value="simulated-passcode"]').check();
    assert.equal(await page.locator("#ticket").inputValue(), "1042", "the ticket carries over");
    await page.getByRole("button", { name: "Start verification" }).click();
    await page.waitForURL(/\/verify\/[0-9a-f-]{36}$/);
    await page.locator("#code").fill(await phone().currentPasscode(TEST_USERS.sam.upn));
    await page.locator("#code").press("Enter");
    await page.getByText(/Policy satisfied: a second method \(Text message \(SMS\) code\) also verified Sam Patel/).waitFor();
  });

  it("opens pre-filled from a deep link", async () => {
    await page.goto(`${base}/verify?user=${encodeURIComponent(TEST_USERS.jane.upn)}&ticket=T-77&reason=password%20reset`);
    assert.match(await page.locator("#caller-h").innerText(), /Jane Doe/);
    assert.equal(await page.locator("#ticket").inputValue(), "T-77");
    assert.equal(await page.locator("#reason").inputValue(), "password reset");
  });

  it("refuses a cross-site post (CSRF) with the session's cookie", async () => {
    let attacker: Server | undefined;
    try {
      attacker = createServer((_request, response) => {
        response.setHeader("content-type", "text/html");
        response.end(
          `<form method="post" action="${base}/verify/start"><input name="user" value="${TEST_USERS.jane.upn}"><input name="method" value="sms"></form><script>document.forms[0].submit()</script>`,
        );
      });
      await new Promise<void>((resolve) => attacker!.listen(0, "127.0.0.1", resolve));
      const address = attacker.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const before = (await readOutbox(join(t.runtime.config.dataDir, "dev-outbox.jsonl"), 1000)).length;
      const evil = await context.newPage();
      const answered = evil.waitForResponse((r) => r.url() === `${base}/verify/start`);
      await evil.goto(`http://127.0.0.1:${port}/`);
      const response = await answered;
      assert.equal(response.status(), 403);
      assert.match(await evil.locator("body").innerText(), /CSRF_REJECTED|another site/);
      assert.equal((await readOutbox(join(t.runtime.config.dataDir, "dev-outbox.jsonl"), 1000)).length, before, "nothing was sent");
      await evil.close();
    } finally {
      attacker?.close();
    }
  });

  it("labels every field, has landmarks, and fits a phone's width", async () => {
    for (const path of ["/signin", "/verify", `/verify?user=${encodeURIComponent(TEST_USERS.jane.upn)}`]) {
      const small = await context.newPage();
      await small.setViewportSize({ width: 375, height: 740 });
      await small.goto(`${base}${path}`);
      const problems = await small.evaluate(() => {
        const found: string[] = [];
        for (const input of Array.from(document.querySelectorAll("input, select, textarea"))) {
          const field = input as HTMLInputElement;
          if (field.type === "hidden") continue;
          const labelled = (field.id !== "" && document.querySelector(`label[for="${field.id}"]`) !== null) || field.closest("label") !== null || field.getAttribute("aria-label") !== null;
          if (!labelled) found.push(`unlabelled ${field.name || field.id}`);
        }
        if (document.querySelector("main") === null) found.push("no main landmark");
        if (document.documentElement.lang === "") found.push("no lang");
        if (document.querySelector("h1") === null) found.push("no h1");
        if (document.documentElement.scrollWidth > window.innerWidth + 1) found.push(`scrolls sideways (${document.documentElement.scrollWidth}px)`);
        return found;
      });
      assert.deepEqual(problems, [], path);
      await small.close();
    }
  });

  it("shows a technician only their own tenants' callers", async () => {
    const user = await t.runtime.webUsers.upsertSso({ provider: "test", subject: "acme-only", displayName: "Acme Only", email: null, role: "technician", tenants: ["acme"] });
    const { cookie } = await t.runtime.webSessions.start(user, "test");
    const other = await browser.newContext();
    await other.addCookies([{ name: "__Host-verity_session", value: cookie, domain: "127.0.0.1", path: "/", secure: true, httpOnly: true, sameSite: "Lax" }]);
    const mine = await other.newPage();
    await mine.goto(`${base}/verify?q=hank`);
    assert.match(await mine.locator("#search-status").innerText(), /No caller matches/);
    await mine.goto(`${base}/verify?user=${encodeURIComponent("hank@globex.test")}`);
    assert.match(await mine.locator(".notice.error").innerText(), /may not act for that tenant[\s\S]*FORBIDDEN/);
    await other.close();
  });
});
