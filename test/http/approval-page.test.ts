import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { acmeWithApproval, approvalSentFor } from "../helpers/manager-approval.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const ORIGIN = "https://verity.example.net";

/** Issue 12: the manager's approval page over HTTP, as the manager's browser (and a mail scanner) meets it. */
describe("the manager's approval page", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, server: { publicUrl: ORIGIN }, tenants: [acmeWithApproval(dir)] }) });
    app = await buildApp(t.runtime);
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const start = async (reason = "locked out after a new phone") => {
    const v = await t.runtime.engine.start(t.technician, { user: "jane@acme.test", method: "manager-approval", ticket: "1042", reason });
    return { v, mail: await approvalSentFor(t.runtime, v.id) };
  };
  const page = (ref: string) => app.inject({ method: "GET", url: `/c/${ref}` });
  const nonceOf = (html: string) => /name="nonce" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const post = (ref: string, form: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }) =>
    app.inject({ method: "POST", url: `/c/${ref}/approval`, headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, payload: new URLSearchParams(form).toString() });

  it("shows who asks, for whom, the ticket and reason, and the two answers, with no script and nothing from elsewhere", async () => {
    const { mail } = await start(`<img src=x onerror=alert(1)> reset`);
    const response = await page(mail.ref);
    assert.equal(response.statusCode, 200);
    assert.doesNotMatch(response.body, /<script|<img src=x/i);
    assert.match(response.body, /<dd id="reason">&lt;img src=x onerror=alert\(1\)> reset<\/dd>/, "the reason, escaped");
    assert.match(response.body, /Do you approve that Terry Tech acts for Jane Doe now\?/);
    assert.match(response.body, /Acme Test/);
    assert.match(response.body, /1042/);
    assert.match(response.body, />Approve</);
    assert.match(response.body, /I do not approve \/ I don&#39;t know about this|I do not approve \/ I don't know about this/);
    assert.match(response.body, new RegExp(`action="/c/${mail.ref.replace(".", "\\.")}/approval"`));
    const urls = [...response.body.matchAll(/(?:src|href|action)="([^"]*)"/g)].map((m) => m[1] ?? "");
    assert.ok(urls.every((u) => u.startsWith("/")), urls.join(", "));
  });

  it("approves once: GETs (a mail scanner) change nothing, the first POST verifies, a second is refused", async () => {
    const { v, mail } = await start();
    const first = await page(mail.ref);
    await page(mail.ref);
    const nonce = nonceOf(first.body);
    const approved = await post(mail.ref, { answer: "approve", nonce });
    assert.equal(approved.statusCode, 200);
    assert.match(approved.body, /data-outcome="approved"/);
    assert.equal((await findVerification(t.runtime.database.db, v.id))?.state, "verified");
    const again = await post(mail.ref, { answer: "reject", nonce });
    assert.equal(again.headers["x-verity-error"], "LINK_NOT_VALID");
    assert.equal((await findVerification(t.runtime.database.db, v.id))?.state, "verified", "a second answer changes nothing");
    assert.equal((await page(mail.ref)).headers["x-verity-error"], "LINK_NOT_VALID");
  });

  it("records 'I do not approve' as a rejection with the fraud flag", async () => {
    const { v, mail } = await start();
    const response = await post(mail.ref, { answer: "reject", nonce: nonceOf((await page(mail.ref)).body) });
    assert.match(response.body, /data-outcome="rejected"/);
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.deepEqual([row?.state, row?.stateReason], ["rejected", "fraud"]);
    t.clock.advance(24 * 3600_000 + 1000);
  });

  it("refuses a cross-site POST, a missing nonce, an unknown answer and a tampered link, changing nothing", async () => {
    const { v, mail } = await start();
    const nonce = nonceOf((await page(mail.ref)).body);
    assert.equal((await post(mail.ref, { answer: "approve", nonce }, { origin: "https://evil.example" })).statusCode, 403);
    assert.equal((await post(mail.ref, { answer: "approve", nonce }, { origin: ORIGIN, "sec-fetch-site": "cross-site" })).statusCode, 403);
    assert.equal((await post(mail.ref, { answer: "approve" })).headers["x-verity-error"], "VALIDATION_FAILED");
    assert.equal((await post(mail.ref, { answer: "yes", nonce })).headers["x-verity-error"], "VALIDATION_FAILED");
    assert.equal((await post(mail.ref, { answer: "approve", nonce: "x".repeat(40) })).headers["x-verity-error"], "CSRF_REJECTED");
    const tampered = `${mail.ref.slice(0, -2)}${mail.ref.endsWith("AA") ? "BB" : "AA"}`;
    assert.equal((await post(tampered, { answer: "approve", nonce })).headers["x-verity-error"], "LINK_NOT_VALID");
    assert.equal((await findVerification(t.runtime.database.db, v.id))?.state, "sent");
  });

  it("refuses to answer an approval link on the confirmation link's form (the kinds do not mix)", async () => {
    const { v, mail } = await start();
    const nonce = nonceOf((await page(mail.ref)).body);
    const response = await app.inject({
      method: "POST",
      url: `/c/${mail.ref}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
      payload: new URLSearchParams({ answer: "no", nonce }).toString(),
    });
    assert.equal(response.headers["x-verity-error"], "LINK_NOT_VALID");
    assert.equal((await findVerification(t.runtime.database.db, v.id))?.state, "sent");
  });
});
