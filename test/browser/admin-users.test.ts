import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { renderSVG } from "uqr";
import { listen } from "../helpers/server.js";
import { describeUnless } from "../helpers/skip.js";
import { acmeTenant, createTestRuntime, globexTenant, type TestRuntime } from "../helpers/runtime.js";
import { fetchWithCookie, launchBrowser, browserMissing, sessionCookie, signInOnPage, TEST_PASSWORD } from "../helpers/web.js";

/** The users page, as an administrator and the people they manage see it. */
describeUnless("administering Verity accounts in the browser", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let admin: { context: BrowserContext; page: Page };
  let tina: { context: BrowserContext; page: Page; secret: string; id: string };
  let evil: Server;
  let evilBase: string;

  const open = async () => {
    const context = await browser.newContext();
    return { context, page: await context.newPage() };
  };
  const row = (name: string) => admin.page.getByRole("row").filter({ has: admin.page.getByRole("rowheader", { name, exact: true }) });
  const cells = async (name: string) => (await row(name).getByRole("cell").allInnerTexts()).slice(0, 5);
  const whoIsSignedIn = async (page: Page) => ((await page.locator("header .who").count()) === 0 ? null : page.locator("header .who span").first().innerText());

  before(async () => {
    t = await createTestRuntime({ overrides: (dir) => ({ tenants: [acmeTenant(dir), globexTenant(dir)] }) });
    ({ app, base } = await listen(t.runtime));
    browser = await launchBrowser();
    // Another site's page on this host (cookies do not keep ports apart, so its requests carry ours).
    evil = createServer((request, response) => {
      const target = new URL(request.url ?? "/", "http://x").searchParams.get("target") ?? "";
      response.writeHead(200, { "content-type": "text/html" }).end(`<form method="post" action="${target}"><input type="hidden" name="x" value="1"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    evilBase = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    const { totp } = await t.runtime.webUsers.createLocal({ username: "ada", displayName: "Ada Admin", role: "admin", tenants: null, password: TEST_PASSWORD }, t.admin);
    admin = await open();
    await signInOnPage(admin.page, base, { username: "ada", secret: totp.secret, next: "/admin/users" }, t.clock);
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await app?.close();
    await t?.close();
  });

  it("lists the accounts, the administrator's own without a disable button", async () => {
    assert.equal(new URL(admin.page.url()).pathname, "/admin/users");
    assert.equal(await admin.page.getByRole("heading", { level: 1 }).innerText(), "Users");
    assert.deepEqual((await cells("Ada Admin")).slice(0, 3), ["ada", "admin", "all"]);
    assert.match((await cells("Ada Admin"))[3] ?? "", /^20\d\d-\d\d-\d\d \d\d:\d\d UTC$/);
    assert.equal(await row("Ada Admin").getByRole("button").count(), 0);
  });

  it("creates an account and shows its authenticator QR code and secret once", async () => {
    const page = admin.page;
    await page.getByLabel("Username").fill("Tina");
    await page.getByLabel("Full name").fill("Tina Tech");
    await page.getByLabel("Role").selectOption("technician");
    await page.getByLabel("Initial password").fill(TEST_PASSWORD);
    await page.getByLabel("Only the tenants ticked below").check();
    await page.getByLabel("Acme Test").check();
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForLoadState();
    assert.equal(await page.getByRole("status").innerText(), "Created the technician account tina for Tina Tech.");
    const secret = (await page.locator("#totp-secret").innerText()).replace(/\s+/g, "");
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const qr = page.getByRole("img", { name: /QR code to add Verity \(tina\)/ });
    assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), "the QR code loads (the CSP allows data: images)");
    const src = (await qr.getAttribute("src")) ?? "";
    const svg = Buffer.from(src.replace(/^data:image\/svg\+xml;base64,/, ""), "base64").toString("utf8");
    const uri = `otpauth://totp/Verity:tina?issuer=Verity&secret=${secret}&algorithm=SHA1&digits=6&period=30`;
    assert.equal(svg, renderSVG(uri, { border: 2, pixelSize: 4 }), "the QR code carries the secret shown beside it");
    assert.deepEqual(await cells("Tina Tech"), ["tina", "technician", "Acme Test", "never", "active"]);

    await page.goto(`${base}/admin/users`);
    assert.equal(await page.locator("#enrolment").count(), 0);
    assert.ok(!(await page.content()).includes(secret), "shown once: never again");

    const user = await t.runtime.webUsers.findLocal("tina");
    tina = { ...(await open()), secret, id: user?.id ?? "" };
    await signInOnPage(tina.page, base, { username: "tina", secret }, t.clock);
    assert.equal(await whoIsSignedIn(tina.page), "Tina Tech (technician)");
    await page.reload();
    assert.match((await cells("Tina Tech"))[3] ?? "", /UTC$/, "the last sign-in shows");
  });

  it("shows a refusal with its code and keeps what was typed, except the password", async () => {
    const page = admin.page;
    const attempt = async (fill: { username: string; password: string; someTenants?: boolean }) => {
      await page.goto(`${base}/admin/users`);
      // The browser's own check (minlength) would stop a short password before Verity sees it.
      await page.evaluate(() => document.getElementById("password")?.removeAttribute("minlength"));
      await page.getByLabel("Username").fill(fill.username);
      await page.getByLabel("Full name").fill("Someone New");
      await page.getByLabel("Initial password").fill(fill.password);
      if (fill.someTenants === true) await page.getByLabel("Only the tenants ticked below").check();
      const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Create account" }).click()]);
      await page.waitForLoadState();
      return { status: response.status(), alert: await page.getByRole("alert").innerText() };
    };
    assert.deepEqual(await attempt({ username: "newbie", password: "short" }), { status: 422, alert: "A password needs at least 12 characters. (VALIDATION_FAILED)" });
    assert.equal(await page.getByLabel("Username").inputValue(), "newbie");
    assert.equal(await page.getByLabel("Full name").inputValue(), "Someone New");
    assert.equal(await page.getByLabel("Initial password").inputValue(), "");
    assert.deepEqual(await attempt({ username: "TINA", password: TEST_PASSWORD }), { status: 409, alert: "The username tina is taken. (CONFLICT)" });
    assert.deepEqual(await attempt({ username: "newbie", password: TEST_PASSWORD, someTenants: true }), {
      status: 422,
      alert: "Tick at least one tenant, or choose every tenant. (VALIDATION_FAILED)",
    });
    assert.equal(await page.getByLabel("Only the tenants ticked below").isChecked(), true);
    assert.equal(await t.runtime.webUsers.findLocal("newbie"), undefined);
  });

  it("refuses a cross-site form post with 403, and nothing changes", async () => {
    const [response] = await Promise.all([
      // The evil page's own form post to Verity (not a late answer to the admin page's earlier requests).
      admin.page.waitForResponse((r) => r.url().startsWith(base) && r.request().method() === "POST"),
      admin.page.goto(`${evilBase}/?target=${encodeURIComponent(`${base}/admin/users/${tina.id}/disable`)}`),
    ]);
    assert.equal(response.status(), 403);
    assert.equal(((await response.json()) as { code: string }).code, "CSRF_REJECTED");
    assert.equal((await t.runtime.webUsers.get(tina.id))?.disabledAt, null);
    assert.equal(await whoIsSignedIn((await tina.page.reload(), tina.page)), "Tina Tech (technician)");
  });

  it("disabling a person ends their session at once; enabling lets them sign in again", async () => {
    const cookie = (await sessionCookie(tina.context, base)) ?? "";
    await admin.page.goto(`${base}/admin/users`);
    await admin.page.getByRole("button", { name: "Disable Tina Tech" }).click();
    await admin.page.waitForURL(/\/admin\/users\?disabled=/);
    assert.equal(await admin.page.getByRole("status").innerText(), "Disabled Tina Tech; their sessions have ended.");
    assert.equal((await cells("Tina Tech"))[4], "disabled");

    await tina.page.goto(`${base}/verify`);
    assert.equal(new URL(tina.page.url()).pathname, "/signin");
    t.clock.advance(-60_000);
    assert.equal((await fetchWithCookie(base, "/verify", cookie)).status, 303, "ended on the server");
    t.clock.advance(60_000);
    const refused = await signInOnPage(tina.page, base, { username: "tina", secret: tina.secret }, t.clock);
    assert.equal(refused.status(), 401);

    await admin.page.getByRole("button", { name: "Enable Tina Tech" }).click();
    await admin.page.waitForURL(/\/admin\/users\?enabled=/);
    assert.equal(await admin.page.getByRole("status").innerText(), "Enabled Tina Tech.");
    await signInOnPage(tina.page, base, { username: "tina", secret: tina.secret }, t.clock);
    assert.equal(await whoIsSignedIn(tina.page), "Tina Tech (technician)");
    const actions = (await t.runtime.database.db.selectFrom("audit_events").select("action").where("action", "like", "user.%").execute()).map((e) => e.action);
    assert.deepEqual(actions, ["user.created", "user.created", "user.disabled", "user.enabled"]);
  });

  it("an admin limited to one tenant sees and grants only that tenant", async () => {
    const { totp } = await t.runtime.webUsers.createLocal({ username: "ally", displayName: "Acme Ally", role: "admin", tenants: ["acme"], password: TEST_PASSWORD }, t.admin);
    const ally = await open();
    await signInOnPage(ally.page, base, { username: "ally", secret: totp.secret, next: "/admin/users" }, t.clock);
    const names = await ally.page.getByRole("rowheader").allInnerTexts();
    assert.deepEqual(names.sort(), ["Acme Ally", "Tina Tech"]);
    assert.equal(await ally.page.getByLabel("Globex Test").count(), 0);
    assert.equal(await ally.page.getByLabel("Every tenant I manage").count(), 1);
    await ally.context.close();
  });
});
