import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { acmeWithLinks, linkSentFor } from "../helpers/confirm-link.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const ORIGIN = "https://verity.example.net";
const HOSTILE_NAME = `<script>alert("x")</script> "IT Security" <img src=https://evil.example/t.gif>`;

/** Issue 12: the caller's page over HTTP, as a phone's browser (and a mail scanner) meets it. */
describe("the caller's confirmation page", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    t = await createTestRuntime({
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: ORIGIN },
        tenants: [acmeWithLinks(dir, { verification: { linkShowsReason: true } })],
      }),
    });
    app = await buildApp(t.runtime);
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const start = async (input: { technician?: string; ticket?: string; reason?: string } = {}) => {
    const actor = input.technician === undefined ? t.technician : t.admin;
    const v = await t.runtime.engine.start(actor, { user: TEST_USERS.jane.upn, method: "sms-link", ticket: input.ticket ?? "1042", reason: input.reason ?? "password reset", ...(input.technician === undefined ? {} : { technician: input.technician }) });
    return { v, link: await linkSentFor(t.runtime, v.id) };
  };
  const page = (ref: string) => app.inject({ method: "GET", url: `/c/${ref}` });
  const nonceOf = (html: string) => /name="nonce" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const post = (ref: string, form: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }) =>
    app.inject({ method: "POST", url: `/c/${ref}`, headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, payload: new URLSearchParams(form).toString() });

  it("serves a phone-sized page under a strict CSP that loads nothing from elsewhere", async () => {
    const { v, link } = await start();
    const response = await page(link.ref);
    assert.equal(response.statusCode, 200);
    const csp = String(response.headers["content-security-policy"]);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.equal(response.headers["cache-control"], "no-store");
    assert.equal(response.headers["referrer-policy"], "same-origin");
    assert.match(response.body, /<meta name="viewport" content="width=device-width, initial-scale=1"/);
    assert.doesNotMatch(response.body, /<script/i, "no script at all");
    const urls = [...response.body.matchAll(/(?:src|href|action)="([^"]*)"/g)].map((m) => m[1] ?? "");
    assert.ok(urls.length > 0 && urls.every((u) => u.startsWith("/")), `only this origin: ${urls.join(", ")}`);
    assert.match(response.body, /Are you on a call with Terry Tech right now\?/);
    assert.match(response.body, /Acme Test/);
    assert.match(response.body, /Yes, I picked the number/);
    assert.match(response.body, /No, this is not me/);
    assert.equal((response.body.match(/type="radio"/g) ?? []).length >= 3, true);
    assert.ok(response.body.includes(`value="${v.challenge ?? ""}"`));
    assert.match(response.body, /password reset/, "the tenant shows reasons (linkShowsReason)");
    const css = await app.inject({ method: "GET", url: "/static/caller/confirm.css" });
    assert.equal(css.statusCode, 200);
    assert.doesNotMatch(css.body, /url\(|@import/);
  });

  it("escapes a hostile technician name, ticket and reason, and never shows an unsafe ticket", async () => {
    const { link } = await start({ technician: HOSTILE_NAME, ticket: `<img src=x onerror=alert(1)>`, reason: `<b onclick="x()">now</b>` });
    const response = await page(link.ref);
    assert.equal(response.statusCode, 200);
    assert.ok(!response.body.includes("<script>alert"), "the name's script is escaped");
    assert.ok(!response.body.includes("<img"), "no markup from the name or ticket");
    assert.ok(!response.body.includes("<b onclick"), "the reason is escaped");
    assert.ok(response.body.includes("&lt;script>") || response.body.includes("&lt;script&gt;"));
    assert.match(response.body, /<dd id="ticket">—<\/dd>/);
    assert.ok(!response.body.includes("evil.example/t.gif\""), "no attribute carries the hostile URL");
  });

  it("answers HEAD and repeated GETs without consuming the link, then verifies on the POST with the right number", async () => {
    const { v, link } = await start();
    assert.equal((await app.inject({ method: "HEAD", url: `/c/${link.ref}` })).statusCode, 200);
    await page(link.ref);
    const html = (await page(link.ref)).body;
    assert.equal((await t.runtime.engine.get(t.technician, v.id)).state, "sent");
    const answer = await post(link.ref, { nonce: nonceOf(html), answer: "yes", number: v.challenge ?? "" });
    assert.equal(answer.statusCode, 200);
    assert.match(answer.body, /you are verified/);
    assert.equal((await t.runtime.engine.get(t.technician, v.id)).state, "verified");
    const again = await post(link.ref, { nonce: nonceOf(html), answer: "yes", number: v.challenge ?? "" });
    assert.deepEqual([again.statusCode, again.headers["x-verity-error"]], [410, "LINK_NOT_VALID"]);
    const reopened = await page(link.ref);
    assert.equal(reopened.statusCode, 410);
    assert.match(reopened.body, /has been used or is no longer valid/);
  });

  it("says the same for an unknown, tampered or expired link", async () => {
    const { link } = await start();
    const unknown = await page(`00000000-0000-4000-8000-000000000000.${link.token}`);
    const tampered = await page(`${link.ref.slice(0, -1)}${link.ref.endsWith("A") ? "B" : "A"}`);
    const junk = await page("not-a-link");
    t.clock.advance(601_000);
    const expired = await page(link.ref);
    const bodies = [unknown, tampered, junk, expired].map((r) => [r.statusCode, r.headers["x-verity-error"], r.body]);
    for (const body of bodies) assert.deepEqual(body, bodies[0]);
    assert.equal(unknown.statusCode, 410);
  });

  it("refuses a cross-site POST, a POST without its page's nonce, and a malformed answer", async () => {
    const { v, link } = await start();
    const html = (await page(link.ref)).body;
    const foreign = await post(link.ref, { nonce: nonceOf(html), answer: "yes", number: v.challenge ?? "" }, { origin: "https://evil.example" });
    assert.deepEqual([foreign.statusCode, foreign.headers["x-verity-error"]], [403, "CSRF_REJECTED"]);
    const crossSite = await post(link.ref, { nonce: nonceOf(html), answer: "yes", number: v.challenge ?? "" }, { "sec-fetch-site": "cross-site" });
    assert.equal(crossSite.statusCode, 403);
    const noNonce = await post(link.ref, { nonce: "", answer: "yes", number: v.challenge ?? "" });
    assert.equal(noNonce.statusCode, 403);
    const malformed = await post(link.ref, { nonce: nonceOf(html), answer: "yes", number: "1; drop" });
    assert.equal(malformed.statusCode, 422);
    assert.equal((await t.runtime.engine.get(t.technician, v.id)).state, "sent", "nothing was answered");
    const notMe = await post(link.ref, { nonce: nonceOf(html), answer: "no" });
    assert.match(notMe.body, /reported/i);
    const after = await t.runtime.engine.get(t.technician, v.id);
    assert.deepEqual([after.state, after.stateReason], ["rejected", "fraud"]);
    // "Not me" flags the caller for 24 hours; the suite verifies her again, so its clock moves past it.
    t.clock.advance(24 * 60 * 60_000 + 1000);
  });

  it("logs neither the token nor the link", async () => {
    const { link } = await start();
    await page(link.ref);
    assert.ok(t.logs.some((l) => l.includes("/c/")), "requests to the page are logged");
    assert.ok(!t.logs.join("\n").includes(link.token));
  });
});

describe("the caller's confirmation page under a flood", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    t = await createTestRuntime({
      overrides: (dir) => ({ ...ROOMY_LIMITS, server: { publicUrl: ORIGIN, requestsPerMinute: 5 }, tenants: [acmeWithLinks(dir)] }),
    });
    app = await buildApp(t.runtime);
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  it("is rate-limited per address like every route without a credential, and guessing costs the same", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      statuses.push((await app.inject({ method: "GET", url: `/c/00000000-0000-4000-8000-00000000000${i}.${"A".repeat(22)}` })).statusCode);
    }
    assert.deepEqual(statuses, [410, 410, 410, 410, 410, 429, 429]);
  });
});
