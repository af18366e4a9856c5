import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { CONTOSO, EXPIRED_SECRET, FABRIKAM, failure, NORTHWIND, pushRequest, registered, SECRET, startHarness, unregistered, type Harness } from "./entra-mfa-fixtures.js";

const TOKEN = /^\/login\/[^/]+\/oauth2\/token$/;
const tokenRequests = (h: Harness) => h.fake.requests.filter((r) => TOKEN.test(r.path));

describe("Entra MFA push: tokens for the connector", () => {
  let h: Harness & { clock: { advance(ms: number): void } };
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    h.fake.resetStats();
    h.fake.clearFailures();
  });

  it("signs in at the v1 endpoint with a certificate assertion (RS256 by default, PS256 too) for the connector resource", async () => {
    for (const algorithm of [undefined, "PS256"] as const) {
      const credential = { kind: "certificate", privateKey: registered().privateKey, certificate: registered().certificate, ...(algorithm === undefined ? {} : { algorithm }) };
      await h.provider({ credential }).startPush(pushRequest("quiet@contoso.example"));
    }
    const requests = tokenRequests(h);
    assert.equal(requests.length, 2);
    for (const request of requests) {
      assert.equal(request.path, `/login/${CONTOSO}/oauth2/token`);
      assert.equal(request.status, 200);
      assert.equal(request.credential, "assertion");
      assert.equal(request.resource, h.fake.connectorUrl);
    }
  });

  it("signs in with a short-lived secret", async () => {
    await h.provider({ credential: { kind: "secret", secret: SECRET } }).startPush(pushRequest("quiet@contoso.example"));
    const [request] = tokenRequests(h);
    assert.equal(request?.credential, "secret");
    assert.equal(request?.status, 200);
  });

  it("reuses one token per tenant until five minutes before it expires", async () => {
    const provider = h.provider({ tenantId: undefined });
    await provider.startPush(pushRequest("quiet@contoso.example"));
    await provider.startPush(pushRequest("sam@contoso.example"));
    await provider.startPush(pushRequest("fabi@fabrikam.example"));
    assert.deepEqual(
      tokenRequests(h).map((r) => r.path),
      [`/login/${CONTOSO}/oauth2/token`, `/login/${FABRIKAM}/oauth2/token`],
    );
    h.clock.advance((3599 - 299) * 1000);
    await provider.startPush(pushRequest("quiet@contoso.example"));
    assert.equal(tokenRequests(h).length, 3);
  });

  it("refuses an unregistered certificate with how to register it on the MFA client's service principal", async () => {
    const provider = h.provider({ credential: { kind: "certificate", privateKey: unregistered().privateKey, certificate: unregistered().certificate } });
    const refused = await failure(provider.startPush(pushRequest("jane.doe@contoso.example")));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /AADSTS700027/);
    assert.match(refused.message, /Azure Multi-Factor Auth Client/);
    assert.match(refused.message, /Update-MgServicePrincipal -KeyCredentials/);
    assert.equal(h.fake.count("/connector"), 0, "no push without a token");
  });

  it("explains wrong and expired secrets", async () => {
    const wrong = await failure(h.provider({ credential: { kind: "secret", secret: "not-the-secret" } }).startPush(pushRequest("quiet@contoso.example")));
    assert.equal(wrong.code, "UPSTREAM_AUTH_FAILED");
    assert.match(wrong.message, /AADSTS7000215/);
    const expired = await failure(h.provider({ credential: { kind: "secret", secret: EXPIRED_SECRET } }).startPush(pushRequest("quiet@contoso.example")));
    assert.equal(expired.code, "UPSTREAM_AUTH_FAILED");
    assert.match(expired.message, /AADSTS7000222.*short-lived/);
  });

  it("explains a tenant without the MFA client's service principal", async () => {
    const refused = await failure(h.provider({ tenantId: NORTHWIND }).startPush(pushRequest("x@northwind.example")));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /AADSTS700016.*New-MgServicePrincipal -AppId 981f26a1-7f43-403b-a875-f8b09b8cd720/);
  });

  it("explains a resource the tenant's cloud does not know", async () => {
    const refused = await failure(h.provider({ resource: "https://adnotifications.windowsazure.us/StrongAuthenticationService.svc/Connector" }).startPush(pushRequest("quiet@contoso.example")));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /AADSTS500011.*connectorUrl/);
  });

  it("retries a token endpoint outage, then reports it as retryable", async () => {
    h.fake.failNext(TOKEN, { status: 503 }, 4);
    const refused = await failure(h.provider().startPush(pushRequest("quiet@contoso.example")));
    assert.equal(refused.code, "PROVIDER_UNAVAILABLE");
    assert.equal(refused.retryable, true);
    assert.equal(tokenRequests(h).length, 4);
  });
});

describe("Entra MFA push: the tenant of a caller", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("resolves the tenant from the UPN's domain when none is pinned", async () => {
    const provider = h.provider({ tenantId: undefined });
    const { transactionRef } = await provider.startPush(pushRequest("fabi@fabrikam.example"));
    assert.equal((await provider.pollPush(transactionRef)).outcome, "approved");
    assert.equal(h.fake.count("/login/fabrikam.example/v2.0/.well-known/openid-configuration"), 1);
    assert.equal(h.fake.count(`/login/${FABRIKAM}/oauth2/token`), 1);
  });

  it("reports a domain no tenant verified, without a push", async () => {
    const refused = await failure(h.provider({ tenantId: undefined }).startPush(pushRequest("x@unknown.example")));
    assert.equal(refused.code, "PROVIDER_ERROR");
    assert.match(refused.message, /No Microsoft Entra tenant has verified the domain unknown\.example/);
    assert.equal(h.fake.count("/connector"), 0);
  });
});
