import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { rejectsWith } from "../helpers/rejects.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { freePort } from "../helpers/net.js";
import { createFakeClock } from "../helpers/clock.js";
import { FAKE_CLIENT, FAKE_SECRET, FAKE_TENANT, startFakeVerifiedId, type FakeVerifiedId } from "../fakes/verified-id/fake-request-service.js";

const API_KEY = "faceid-callback-key-0123456789abcdef0123";
const ISSUER = "did:web:verifiedid.acme.test";

/**
 * Issue 12, Face Check end to end over HTTP: the caller's page and button, the real adapter
 * against the fake Request Service, the fake wallet's callbacks to /hooks/verified-id, and the
 * forged, unknown, replayed and foreign callbacks that must change nothing (SECURITY.md item 32).
 */
describe("Face Check (sms-faceid) over HTTP", () => {
  const clock = createFakeClock(new Date());
  let fake: FakeVerifiedId;
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    fake = await startFakeVerifiedId({ clock });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestRuntime({
      clock,
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: base },
        // Nothing delivers them here (no background work): the queued jobs are what is checked.
        notifications: [{ kind: "webhook", url: "http://127.0.0.1:9/verity-events", secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}` }],
        providers: {
          console: { kind: "console" },
          phone: { kind: "simulated" },
          faceid: {
            kind: "verified-id",
            tenantId: FAKE_TENANT,
            clientId: FAKE_CLIENT,
            clientSecret: FAKE_SECRET,
            authority: "did:web:verifiedid.acme.test",
            acceptedIssuers: [ISSUER],
            callbackApiKey: API_KEY,
            matchConfidenceThreshold: 75,
            loginUrl: fake.url,
            requestServiceUrl: fake.url,
          },
        },
        tenants: [
          acmeTenant(dir, {
            methods: { sms: "console", "sms-faceid": { provider: "console", service: "faceid" }, "email-faceid": { provider: "console", service: "faceid" } },
          }),
        ],
      }),
    });
    app = await buildApp(t.runtime);
    await app.listen({ host: "127.0.0.1", port });
  });
  after(async () => {
    await app.close();
    await t.close();
    await fake.close();
  });

  const nonceOf = (html: string) => /name="nonce" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const row = async (id: string) => {
    const v = await findVerification(t.runtime.database.db, id);
    assert.ok(v !== undefined);
    return v;
  };
  const actions = async (id: string) =>
    (await t.runtime.database.db.selectFrom("audit_events").select(["action", "reason"]).where("verification_id", "=", id).orderBy("seq").execute()).map((e) => `${e.action}${e.reason === null ? "" : `:${e.reason}`}`);

  /** A started verification, its link, and the caller having pressed the button. */
  async function pressed(user = TEST_USERS.jane.upn, method = "sms-faceid") {
    const v = await t.runtime.engine.start(t.technician, { user, method, ticket: "2001", reason: "lost phone" });
    const link = await linkSentFor(t.runtime, v.id);
    const page = await fetch(`${base}/c/${link.ref}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const answer = await fetch(`${base}/c/${link.ref}/verified-id`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams({ nonce: nonceOf(html) }).toString(),
    });
    const opened = await answer.text();
    assert.equal(answer.status, 200, opened);
    const request = fake.requests().at(-1);
    assert.ok(request !== undefined);
    return { v, link, html, opened, request };
  }

  const hook = (body: unknown, headers: Record<string, string> = { "api-key": API_KEY }) =>
    fetch(`${base}/hooks/verified-id`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("the page explains and offers one button; opening it creates nothing", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-faceid", ticket: "2000" });
    const link = await linkSentFor(t.runtime, v.id);
    assert.match(link.text, /Microsoft Authenticator and a selfie/, "the message speaks of Face Check");
    assert.doesNotMatch(link.text, /pick the number/);
    const before = fake.requests().length;
    const page = await fetch(`${base}/c/${link.ref}`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(html, /Open Microsoft Authenticator/);
    assert.match(html, /selfie/);
    assert.match(html, new RegExp(`action="/c/${link.ref.replace(".", "\\.")}/verified-id"`));
    assert.doesNotMatch(html, /<script/i);
    assert.equal(fake.requests().length, before, "a GET (a link scanner) creates no request");
    await t.runtime.engine.cancel(t.technician, v.id, "test over");
  });

  it("the button creates the request for the caller's UPN and shows the wallet link and a QR code; the wallet's presentation verifies at level proofing", async () => {
    const { v, opened, request } = await pressed();
    assert.equal(request.body.callback.url, `${base}/hooks/verified-id`);
    assert.deepEqual(request.body.callback.headers, { "api-key": API_KEY });
    const constraint = request.body.requestedCredentials[0]?.constraints?.[0];
    assert.equal(constraint?.claimName, "revocationId");
    assert.equal(constraint.values?.[0]?.toLowerCase(), TEST_USERS.jane.upn, "the directory's UPN (compared case-insensitively by the service)");
    assert.equal(request.body.requestedCredentials[0]?.configuration?.validation?.faceCheck?.matchConfidenceThreshold, 75);
    assert.ok(request.body.callback.state.length >= 40, "an opaque state");
    assert.match(opened, /href="openid-vc:\/\/\?request_uri=/);
    assert.match(opened, /<img id="wallet-qr" src="data:image\/svg\+xml;base64,/);
    assert.equal((await row(v.id)).providerRef, request.requestId);

    assert.equal(await fake.retrieve(request.requestId), 200);
    const opening = await row(v.id);
    assert.equal(opening.state, "sent");
    assert.equal(opening.stateReason, "faceid_opened");

    assert.equal(await fake.present(request.requestId, { score: 88.123456 }), 200);
    const done = await row(v.id);
    assert.equal(done.state, "verified");
    assert.equal(done.codeHash, null, "the link is consumed");
    assert.deepEqual(done.evidence, { assurance: "proofing", faceCheck: { score: 88.12 } });
    const view = await t.runtime.engine.get(t.technician, v.id);
    assert.equal(view.assurance.level, "proofing");
    assert.equal(view.receipt?.action, "faceid.verified", "the ending is the verification's receipt");
    const events = await actions(v.id);
    assert.ok(events.includes("faceid.requested") && events.includes("faceid.opened") && events.at(-1) === "faceid.verified:face_check_passed", events.join(", "));
    const stored = JSON.stringify(await t.runtime.database.db.selectFrom("audit_events").selectAll().where("verification_id", "=", v.id).execute());
    assert.ok(!stored.includes("simulated photo") && !stored.includes("photo\":") && !stored.includes(encodeURIComponent(Buffer.from("simulated photo").toString("base64"))), "no photo is kept");

    assert.equal(await fake.present(request.requestId, { score: 99 }), 409, "a replay after completion is refused");
    assert.equal((await row(v.id)).state, "verified");
  });

  it("a forged callback (no key, a wrong key, another provider's key) is refused with 401 and changes nothing", async () => {
    const { v, request } = await pressed();
    const body = { requestId: request.requestId, requestStatus: "presentation_verified", state: request.body.callback.state, verifiedCredentialsData: [{ issuer: ISSUER, type: ["VerifiableCredential", "VerifiedEmployee"], claims: { revocationId: TEST_USERS.jane.upn }, credentialState: { revocationStatus: "VALID" }, faceCheck: { matchConfidenceScore: 99 } }] };
    const forged: Record<string, string>[] = [{}, { "api-key": "wrong" }, { "api-key": API_KEY.slice(0, -1) }, { authorization: API_KEY }];
    for (const headers of forged) {
      const answer = await hook(body, headers);
      assert.equal(answer.status, 401, JSON.stringify(headers));
      assert.equal(((await answer.json()) as { code: string }).code, "WEBHOOK_SIGNATURE_INVALID");
    }
    const odd = await hook({ requestId: request.requestId, requestStatus: "issuance_successful", state: request.body.callback.state });
    assert.equal(odd.status, 422, "an authenticated body that is not a presentation callback");
    const notJson = await fetch(`${base}/hooks/verified-id`, { method: "POST", headers: { "content-type": "application/json", "api-key": API_KEY }, body: "{not json" });
    assert.equal(notJson.status, 400);
    const still = await row(v.id);
    assert.equal(still.state, "sent");
    assert.equal(still.evidence, null);
    await t.runtime.engine.cancel(t.technician, v.id, "test over");
  });

  it("an unknown request, a wrong state and an earlier request of the same link are refused and change nothing", async () => {
    const { v, link, html, request } = await pressed();
    const body = (over: Record<string, unknown>) => ({ requestId: request.requestId, requestStatus: "presentation_verified", state: request.body.callback.state, verifiedCredentialsData: [{ issuer: ISSUER, type: ["VerifiableCredential", "VerifiedEmployee"], claims: { revocationId: TEST_USERS.jane.upn }, credentialState: { revocationStatus: "VALID" }, faceCheck: { matchConfidenceScore: 99 } }], ...over });
    assert.equal((await hook(body({ requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11" }))).status, 404);
    assert.equal((await hook(body({ state: "forged-state" }))).status, 404);
    assert.ok((await actions(v.id)).includes("faceid.callback_refused:state_mismatch"), "a refusal for a known verification is audited");
    // Pressing again makes a new request; the earlier one's callbacks no longer count.
    const again = await fetch(`${base}/c/${link.ref}/verified-id`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: base }, body: new URLSearchParams({ nonce: nonceOf(html) }).toString() });
    assert.equal(again.status, 200);
    const newer = fake.requests().at(-1);
    assert.ok(newer !== undefined && newer.requestId !== request.requestId);
    assert.equal(await fake.present(request.requestId, { score: 95 }), 404);
    assert.equal((await row(v.id)).state, "sent");
    assert.equal(await fake.present(newer.requestId, { score: 95 }), 200);
    assert.equal((await row(v.id)).state, "verified");
  });

  it("refuses a button press from another site or without the page's nonce", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-faceid", ticket: "2002" });
    const link = await linkSentFor(t.runtime, v.id);
    const html = await (await fetch(`${base}/c/${link.ref}`)).text();
    const before = fake.requests().length;
    const foreign = await fetch(`${base}/c/${link.ref}/verified-id`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }, body: new URLSearchParams({ nonce: nonceOf(html) }).toString() });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get("x-verity-error"), "CSRF_REJECTED");
    const noNonce = await fetch(`${base}/c/${link.ref}/verified-id`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: base }, body: "nonce=forged" });
    assert.equal(noNonce.headers.get("x-verity-error"), "CSRF_REJECTED");
    const tampered = await fetch(`${base}/c/${link.ref.slice(0, -2)}AA/verified-id`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: base }, body: new URLSearchParams({ nonce: nonceOf(html) }).toString() });
    assert.equal(tampered.headers.get("x-verity-error"), "LINK_NOT_VALID");
    assert.equal(fake.requests().length, before);
    const press = () =>
      fetch(`${base}/c/${link.ref}/verified-id`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: base }, body: new URLSearchParams({ nonce: nonceOf(html) }).toString() });
    for (let i = 0; i < 5; i += 1) assert.equal((await press()).status, 200);
    const sixth = await press();
    assert.equal(sixth.status, 429, "a link starts at most five presentation requests");
    assert.equal(sixth.headers.get("x-verity-error"), "RATE_LIMITED");
    assert.equal(fake.requests().length, before + 5);
    await t.runtime.engine.cancel(t.technician, v.id, "test over");
  });

  it("a failed Face Check rejects with the service's code and keeps no score; the Request Service's refusal shows the caller a retry page", async () => {
    const { v, request } = await pressed();
    assert.equal(await fake.present(request.requestId, { score: 60 }), 200);
    const done = await row(v.id);
    assert.equal(done.state, "rejected");
    assert.equal(done.stateReason, "presentation_error");
    assert.equal(done.evidence, null);
    assert.ok((await actions(v.id)).includes("faceid.failed:presentation_error"));

    const next = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "email-faceid", ticket: "2003" });
    const link = await linkSentFor(t.runtime, next.id);
    const html = await (await fetch(`${base}/c/${link.ref}`)).text();
    fake.failNext(503);
    const failed = await fetch(`${base}/c/${link.ref}/verified-id`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: base }, body: new URLSearchParams({ nonce: nonceOf(html) }).toString() });
    assert.equal(failed.status, 503);
    assert.match(await failed.text(), /Try the button again/);
    assert.equal((await row(next.id)).state, "sent", "the link still works");
    await t.runtime.engine.cancel(t.technician, next.id, "test over");
  });

  it("a callback after the verification expired is refused (409) and changes nothing", async () => {
    const { v, request } = await pressed();
    clock.advance(11 * 60_000);
    const answer = await hook({ requestId: request.requestId, requestStatus: "request_retrieved", state: request.body.callback.state });
    assert.equal(answer.status, 409);
    assert.equal((await row(v.id)).state, "expired");
  });

  it("someone else's credential rejects with a fraud flag; the caller is flagged", async () => {
    const { v, request } = await pressed();
    assert.equal(await fake.present(request.requestId, { score: 97, revocationId: "mallory@acme.test", mail: "mallory@acme.test" }), 200);
    const done = await row(v.id);
    assert.equal(done.state, "rejected");
    assert.equal(done.stateReason, "fraud");
    assert.equal(done.evidence, null);
    assert.ok((await actions(v.id)).includes("faceid.other_subject:fraud"));
    assert.equal((await t.runtime.engine.get(t.technician, v.id)).receipt?.action, "faceid.other_subject");
    const queued = (await t.runtime.database.db.selectFrom("jobs").select(["payload"]).execute()).map((j) => String(j.payload)).filter((p) => p.includes(v.id));
    assert.ok(queued.some((p) => p.includes("verification.fraud_reported")), "a fraud report goes to the tenant's notification destinations");
    assert.ok(queued.some((p) => p.includes("verification.completed")));
    await rejectsWith(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", ticket: "2004" }), "CALLER_FLAGGED");
  });
});
