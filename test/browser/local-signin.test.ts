import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { waitFor } from "../helpers/engine.js";
import { listen } from "../helpers/server.js";
import { describeUnless } from "../helpers/skip.js";
import { createTestRuntime, type TestRuntime } from "../helpers/runtime.js";
import { wrongTotpCode } from "../helpers/totp.js";
import { fetchWithCookie, launchBrowser, browserMissing, SESSION_COOKIE, sessionCookie, signInOnPage, TEST_PASSWORD } from "../helpers/web.js";

/** SECURITY.md A5 #24-#26 and attacks 19 and 21, as a person at the browser meets them. */
describeUnless("signing in to the web app with a Verity account", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const people = new Map<string, string>();
  const cookiesSeen = new Set<string>();

  const person = async (username: string, role: "technician" | "auditor" = "technician") => {
    const { totp } = await t.runtime.webUsers.createLocal({ username, displayName: `${username[0]?.toUpperCase() ?? ""}${username.slice(1)} Example`, role, tenants: null, password: TEST_PASSWORD }, t.admin);
    people.set(username, totp.secret);
    return { username, secret: totp.secret };
  };
  const as = (username: string) => ({ username, secret: people.get(username) ?? "" });
  const signedInAs = async () => (await page.locator("header .who").count()) === 0 ? null : page.locator("header .who span").first().innerText();

  before(async () => {
    t = await createTestRuntime();
    ({ app, base } = await listen(t.runtime));
    browser = await launchBrowser();
    for (const name of ["tina", "lou", "ida", "abe", "fay", "aud"]) await person(name, name === "aud" ? "auditor" : "technician");
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });
  const freshPage = async () => {
    for (const c of (await context?.cookies(base)) ?? []) cookiesSeen.add(c.value);
    await context?.close();
    context = await browser.newContext();
    page = await context.newPage();
  };

  it("signs in with the password and the authenticator's code, with a __Host- cookie", async () => {
    await freshPage();
    const response = await signInOnPage(page, base, as("tina"), t.clock);
    assert.equal(response.status(), 303);
    assert.equal(new URL(page.url()).pathname, "/verify");
    assert.equal(await signedInAs(), "Tina Example (technician)");
    const cookie = (await context.cookies(base)).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie !== undefined);
    assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, "Lax", "/"]);
    assert.match((await response.headerValue("set-cookie")) ?? "", /^__Host-verity_session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=43200$/);
  });

  it("refuses a wrong code, and the fifth failure locks the account and says for how long", async () => {
    await freshPage();
    const lou = as("lou");
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const refused = await signInOnPage(page, base, { ...lou, code: wrongTotpCode(lou.secret, t.clock) }, t.clock);
      assert.equal(refused.status(), 401);
      assert.equal(await page.getByRole("alert").innerText(), "The username, password or code is not right.");
    }
    const locked = await signInOnPage(page, base, { ...lou, code: wrongTotpCode(lou.secret, t.clock) }, t.clock);
    assert.equal(locked.status(), 429);
    assert.equal(locked.headers()["retry-after"], "900");
    assert.equal(await page.getByRole("alert").innerText(), "Too many failed sign-ins for this account; try again in 15 minutes.");

    t.clock.advance(9 * 60_000);
    const stillLocked = await signInOnPage(page, base, lou, t.clock);
    assert.equal(stillLocked.status(), 429, "the right password and code wait too");
    assert.equal(stillLocked.headers()["retry-after"], String(15 * 60 - 9 * 60 - 30), "the time left (the sign-in page moved the clock 30 s)");
    assert.match(await page.getByRole("alert").innerText(), /try again in 6 minutes/);

    t.clock.advance(Number(stillLocked.headers()["retry-after"]) * 1000);
    const after = await signInOnPage(page, base, lou, t.clock);
    assert.equal(after.status(), 303);
    assert.equal(await signedInAs(), "Lou Example (technician)");
  });

  it("signing out ends the session on the server: the old cookie no longer works", async () => {
    await freshPage();
    await signInOnPage(page, base, as("tina"), t.clock);
    const cookie = await sessionCookie(context, base);
    assert.ok(cookie !== undefined);
    assert.equal((await fetchWithCookie(base, "/verify", cookie)).status, 200, "the cookie works before");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${base}/signin`);
    assert.equal(await sessionCookie(context, base), undefined, "the browser dropped it");
    const replayed = await fetchWithCookie(base, "/verify", cookie);
    assert.equal(replayed.status, 303);
    assert.equal(replayed.headers.get("location"), "/signin?next=%2Fverify");
  });

  it("refuses a state-changing request without the CSRF token, or from a foreign Origin, with 403", async () => {
    await freshPage();
    await signInOnPage(page, base, as("tina"), t.clock);
    const cookie = (await sessionCookie(context, base)) ?? "";
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute("content")) ?? "";
    const post = (headers: Record<string, string>, form: Record<string, string>) =>
      fetchWithCookie(base, "/verify/start", cookie, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(form).toString() });
    const start = { user: "jane@acme.test", method: "sms" };
    for (const [why, response] of [
      ["no token", await post({ origin: base }, start)],
      // One character changed in the middle (a changed ending is no change about once in a thousand runs).
      ["a wrong token", await post({ origin: base }, { ...start, csrf: `${csrf.slice(0, 10)}${csrf[10] === "A" ? "B" : "A"}${csrf.slice(11)}` })],
      ["a foreign Origin", await post({ origin: "https://evil.example" }, { ...start, csrf })],
      ["no Origin", await post({}, { ...start, csrf })],
    ] as const) {
      assert.equal(response.status, 403, why);
      assert.equal(((await response.json()) as { code: string }).code, "CSRF_REJECTED", why);
    }
    const ours = await post({ origin: base }, { ...start, csrf });
    assert.equal(ours.status, 303, "the same request from Verity's page goes through");
    assert.match(ours.headers.get("location") ?? "", /^\/verify\/[0-9a-f-]{36}$/);
  });

  it("ends a session idle for 30 minutes, on the server", async () => {
    await freshPage();
    await signInOnPage(page, base, as("ida"), t.clock);
    const cookie = (await sessionCookie(context, base)) ?? "";
    for (let i = 0; i < 3; i += 1) {
      t.clock.advance(29 * 60_000);
      await page.goto(`${base}/verify`);
      assert.equal(await signedInAs(), "Ida Example (technician)", `still signed in after ${(i + 1) * 29} minutes of use`);
    }
    t.clock.advance(30 * 60_000);
    await page.goto(`${base}/verify`);
    assert.equal(new URL(page.url()).pathname, "/signin");
    assert.equal(await signedInAs(), null);
    t.clock.advance(-60 * 60_000);
    assert.equal((await fetchWithCookie(base, "/verify", cookie)).status, 303, "ended on the server, not merely expired in the browser");
    t.clock.advance(60 * 60_000);
  });

  it("ends every session 12 hours after sign-in, however busy", async () => {
    await freshPage();
    await signInOnPage(page, base, as("abe"), t.clock);
    const signedInAt = t.clock.now().getTime();
    while (t.clock.now().getTime() + 25 * 60_000 < signedInAt + 12 * 3600_000) {
      t.clock.advance(25 * 60_000);
      await page.goto(`${base}/verify`);
      assert.equal(await signedInAs(), "Abe Example (technician)");
    }
    t.clock.set(new Date(signedInAt + 12 * 3600_000));
    await page.goto(`${base}/verify`);
    assert.equal(new URL(page.url()).pathname, "/signin");
    const cookie = (await sessionCookie(context, base)) ?? "";
    assert.equal((await fetchWithCookie(base, "/verify", cookie)).status, 303);
  });

  it("a cookie planted before sign-in is worthless after it (session fixation)", async () => {
    await freshPage();
    // As script on a page of the same site would plant it (cookies do not keep ports apart).
    const planted = randomBytes(32).toString("base64url");
    await page.goto(`${base}/signin`);
    await page.evaluate((cookie) => (document.cookie = cookie), `${SESSION_COOKIE}=${planted}; Path=/; Secure; SameSite=Lax`);
    // A script's cookie reaches the browser's store a moment later; under load, read it once it has.
    await waitFor(async () => ((await sessionCookie(context, base)) === planted ? true : undefined), 2000).catch(() => undefined);
    assert.equal(await sessionCookie(context, base), planted);
    await signInOnPage(page, base, as("fay"), t.clock);
    assert.equal(await signedInAs(), "Fay Example (technician)");
    const issued = await sessionCookie(context, base);
    assert.ok(issued !== undefined && issued !== planted, "a new session id at sign-in");
    assert.equal((await fetchWithCookie(base, "/verify", planted)).status, 303, "the planted value signs nobody in");
    assert.equal((await fetchWithCookie(base, "/verify", issued)).status, 200);
  });

  it("keeps an auditor out of the admin pages (403, audited)", async () => {
    await freshPage();
    await signInOnPage(page, base, { ...as("aud"), next: "/admin/users" }, t.clock);
    const cookie = (await sessionCookie(context, base)) ?? "";
    const response = await page.goto(`${base}/admin/users`);
    assert.equal(response?.status(), 403);
    assert.match(await page.locator("body").innerText(), /"code":"FORBIDDEN".*admin role/);
    assert.equal((await fetchWithCookie(base, "/admin/users", cookie)).status, 403);
    const denied = (await t.runtime.database.db.selectFrom("audit_events").select(["actor", "data"]).where("action", "=", "access.denied").execute()).at(-1);
    assert.match(denied?.actor ?? "", /^user:/);
    assert.match(String(denied?.data), /\/admin\/users/);
  });

  it("writes no password, TOTP secret or session id to the logs or the database", async () => {
    await freshPage();
    const dataDir = t.runtime.config.dataDir;
    const stored = ["verity.db", "verity.db-wal"].filter((f) => existsSync(join(dataDir, f))).map((f) => readFileSync(join(dataDir, f)).toString("latin1"));
    const secrets = [TEST_PASSWORD, ...people.values(), ...cookiesSeen];
    assert.ok(cookiesSeen.size >= 6);
    for (const secret of secrets) {
      assert.ok(!t.logs.some((l) => l.includes(secret)), "not in the logs");
      assert.ok(!stored.some((bytes) => bytes.includes(secret)), "not in the database");
    }
  });
});
