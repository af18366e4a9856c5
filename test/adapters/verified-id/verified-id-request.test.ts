import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { verifiedIdConfigSchema } from "../../../src/adapters/verified-id/verified-id-config.js";
import { createFakeClock } from "../../helpers/clock.js";
import { freePort } from "../../helpers/net.js";
import { startFakeVerifiedId, FAKE_SECRET, type FakeVerifiedId } from "../../fakes/verified-id/fake-request-service.js";
import { API_KEY, AUTHORITY, ISSUER, UPN, rejectsWith, vidConfig, vidService } from "./verified-id-kit.js";

const CALLBACK = "https://verity.example/hooks/verified-id";
const input = { state: "state-opaque-1", subject: { upn: UPN }, callbackUrl: CALLBACK };

describe("Verified ID configuration", () => {
  const raw = (overrides: Record<string, unknown>) => verifiedIdConfigSchema.safeParse({ ...vidConfig("http://127.0.0.1:1"), clientSecret: "s", callbackApiKey: API_KEY, ...overrides });

  it("takes Microsoft's defaults: VerifiedEmployee, photo, threshold 70, the public endpoints", () => {
    const config = verifiedIdConfigSchema.parse({
      kind: "verified-id",
      tenantId: "9A1B2C3D-4E5F-4A6B-8C7D-0E1F2A3B4C5D",
      clientId: "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
      clientSecret: "s",
      authority: AUTHORITY,
      acceptedIssuers: [ISSUER],
      callbackApiKey: API_KEY,
    });
    assert.equal(config.credentialType, "VerifiedEmployee");
    assert.equal(config.photoClaim, "photo");
    assert.equal(config.matchConfidenceThreshold, 70);
    assert.equal(config.loginUrl, "https://login.microsoftonline.com");
    assert.equal(config.requestServiceUrl, "https://verifiedid.did.msidentity.com");
    assert.equal(config.tenantId, "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d");
    assert.equal(String(config.callbackApiKey), "[redacted]");
  });

  it("refuses an empty acceptedIssuers (the service would accept any issuer), a threshold outside 50–100 and a short api key", () => {
    assert.equal(raw({ acceptedIssuers: [] }).success, false);
    assert.equal(raw({ acceptedIssuers: undefined }).success, false);
    assert.equal(raw({ acceptedIssuers: ["contoso.com"] }).success, false);
    assert.equal(raw({ matchConfidenceThreshold: 49 }).success, false);
    assert.equal(raw({ matchConfidenceThreshold: 101 }).success, false);
    assert.equal(raw({ matchConfidenceThreshold: 80.5 }).success, false);
    assert.equal(raw({ matchConfidenceThreshold: 50 }).success, true);
    assert.equal(raw({ callbackApiKey: "short" }).success, false);
  });
});

describe("Verified ID presentation requests", () => {
  const clock = createFakeClock();
  let fake: FakeVerifiedId;
  before(async () => {
    fake = await startFakeVerifiedId({ clock });
  });
  after(() => fake.close());
  beforeEach(() => {
    clock.set(new Date("2026-11-23T09:00:00.000Z"));
  });

  it("asks for the configured credential with Face Check, accepted issuers, the callback's api-key and the subject's constraint", async () => {
    const { service } = vidService(vidConfig(fake.url, { matchConfidenceThreshold: 85 }), clock);
    const started = await service.createPresentation(input);
    const request = fake.request(started.requestId);
    assert.ok(request !== undefined);
    const body = request.body;
    assert.equal(body.authority, AUTHORITY);
    assert.equal(body.includeReceipt, false);
    assert.equal(body.registration.clientName, "IT service desk");
    assert.deepEqual(body.callback, { url: CALLBACK, state: "state-opaque-1", headers: { "api-key": API_KEY } });
    assert.equal(body.requestedCredentials.length, 1);
    const asked = body.requestedCredentials[0];
    assert.equal(asked?.type, "VerifiedEmployee");
    assert.deepEqual(asked?.acceptedIssuers, [ISSUER]);
    assert.deepEqual(asked?.configuration?.validation, { allowRevoked: false, validateLinkedDomain: true, faceCheck: { sourcePhotoClaimName: "photo", matchConfidenceThreshold: 85 } });
    assert.deepEqual(asked?.constraints, [{ claimName: "revocationId", values: [UPN] }]);
    assert.match(started.url, /^openid-vc:\/\/\?request_uri=http:\/\/127\.0\.0\.1:\d+\/v1\.0\/[0-9a-f-]+\/verifiableCredentials\/presentationRequests\//);
    assert.ok(started.url.endsWith(started.requestId));
    assert.equal(started.expiresAt, new Date(clock.now().getTime() + 300_000).toISOString().replace(/\.\d{3}Z$/, ".000Z"));
    await service.close();
  });

  it("leaves the constraint out when constrainToUser is off", async () => {
    const { service } = vidService(vidConfig(fake.url, { constrainToUser: false }), clock);
    const started = await service.createPresentation(input);
    assert.equal(fake.request(started.requestId)?.body.requestedCredentials[0]?.constraints, undefined);
    await service.close();
  });

  it("fetches one token and reuses it until shortly before it expires", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    const before = fake.tokensIssued;
    await service.createPresentation(input);
    await service.createPresentation(input);
    assert.equal(fake.tokensIssued - before, 1);
    clock.advance(3599_000 - 5 * 60_000 - 1000);
    await service.createPresentation(input);
    assert.equal(fake.tokensIssued - before, 1, "still fresh");
    clock.advance(2000);
    await service.createPresentation(input);
    assert.equal(fake.tokensIssued - before, 2, "refreshed five minutes before expiry");
    await service.close();
  });

  it("fetches a new token once when the service answers 401, and says so when it keeps refusing", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    await service.createPresentation(input);
    const before = fake.tokensIssued;
    fake.failNext(401);
    await service.createPresentation(input);
    assert.equal(fake.tokensIssued - before, 1);
    fake.failNext(401, { count: 2 });
    const error = await rejectsWith(service.createPresentation(input), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /did not accept Verity's token/);
    await service.close();
  });

  it("maps 403 to the missing permission, admin consent or Face Check set-up", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    fake.failNext(403);
    const error = await rejectsWith(service.createPresentation(input), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /VerifiableCredential\.Create\.PresentRequest/);
    assert.match(error.message, /admin consent/);
    assert.match(error.message, /Face Check/);
    await service.close();
  });

  it("maps a 400 to PROVIDER_ERROR naming the field the service refused", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    const error = await rejectsWith(service.createPresentation({ ...input, callbackUrl: "not a url" }), "PROVIDER_ERROR");
    assert.match(error.message, /field callback\.url/);
    assert.deepEqual((error.details as { innerCode: string }).innerCode, "badOrMissingField");
    assert.equal(error.status, 502);
    await service.close();
  });

  it("waits out a 429 as Retry-After asks, then succeeds", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    await service.createPresentation(input);
    fake.failNext(429, { retryAfter: "0" });
    const started = await service.createPresentation(input);
    assert.ok(fake.request(started.requestId) !== undefined);
    await service.close();
  });

  it("maps a 429 with a long Retry-After to PROVIDER_UNAVAILABLE with that wait, and a 5xx to PROVIDER_UNAVAILABLE", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    fake.failNext(429, { retryAfter: "120" });
    const throttled = await rejectsWith(service.createPresentation(input), "PROVIDER_UNAVAILABLE");
    assert.equal(throttled.retryAfterSeconds, 120);
    assert.equal(throttled.retryable, true);
    assert.match(throttled.message, /throttling/);
    fake.failNext(503);
    const failing = await rejectsWith(service.createPresentation(input), "PROVIDER_UNAVAILABLE");
    assert.match(failing.message, /HTTP 503/);
    await service.close();
  });

  it("explains token refusals: a wrong secret, an unknown tenant", async () => {
    const wrongSecret = vidService(vidConfig(fake.url, { clientSecret: "not-the-secret" }), clock).service;
    const secretError = await rejectsWith(wrongSecret.createPresentation(input), "UPSTREAM_AUTH_FAILED");
    assert.match(secretError.message, /AADSTS7000215/);
    await wrongSecret.close();
    const otherTenant = vidService(vidConfig(fake.url, { tenantId: "00000000-0000-4000-8000-000000000000" }), clock).service;
    const tenantError = await rejectsWith(otherTenant.createPresentation(input), "UPSTREAM_AUTH_FAILED");
    assert.match(tenantError.message, /no tenant/);
    await otherTenant.close();
  });

  it("says the service is unreachable when nothing answers", async () => {
    const { service } = vidService(vidConfig(`http://127.0.0.1:${await freePort()}`), clock);
    const error = await rejectsWith(service.createPresentation(input), "PROVIDER_UNAVAILABLE");
    assert.match(error.message, /could not be reached/);
    await service.close();
  });

  it("never logs the client secret or the callback key", async () => {
    const { service, logs } = vidService(vidConfig(fake.url), clock);
    await service.createPresentation(input);
    fake.failNext(403);
    await rejectsWith(service.createPresentation(input), "UPSTREAM_AUTH_FAILED");
    assert.ok(logs.length >= 2);
    for (const line of logs) {
      assert.ok(!line.includes(FAKE_SECRET));
      assert.ok(!line.includes(API_KEY));
    }
    await service.close();
  });

  it("probes with a token fetch only", async () => {
    const { service } = vidService(vidConfig(fake.url), clock);
    const created = fake.requests().length;
    const result = await service.probe?.();
    assert.equal(result?.ok, true);
    assert.equal(fake.requests().length, created);
    const bad = vidService(vidConfig(fake.url, { clientSecret: "wrong" }), clock).service;
    const refused = await bad.probe?.();
    assert.equal(refused?.ok, false);
    assert.match(refused?.detail ?? "", /AADSTS7000215/);
    await Promise.all([service.close(), bad.close()]);
  });
});
