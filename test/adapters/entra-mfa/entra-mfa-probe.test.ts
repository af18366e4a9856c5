import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MFA_CLIENT_APP_ID } from "../../../src/adapters/push/entra-mfa/entra-mfa-config.js";
import { freePort } from "../../helpers/net.js";
import { CONTOSO, NORTHWIND, registered, SECRET, startHarness, unregistered, type Harness } from "./entra-mfa-fixtures.js";

describe("Entra MFA connector: the connection test", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("gets a new connector token for the pinned tenant and calls no connector operation", async () => {
    const provider = h.provider();
    assert.equal((await provider.probe?.())?.ok, true);
    h.fake.resetStats();
    const issued = h.fake.tokensIssued();
    const result = await provider.probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, new RegExp(`^Microsoft Entra issued application ${MFA_CLIENT_APP_ID} a token for the MFA connector in tenant ${CONTOSO}`));
    assert.equal(h.fake.tokensIssued(), issued + 1, "a fresh token, not the cached one");
    assert.deepEqual(h.fake.requests.map((r) => r.path), [`/login/${CONTOSO}/oauth2/token`]);
    assert.equal(h.fake.sessions.length, 0, "no authentication was started");
  });

  it("says the certificate is not registered on the MFA client's service principal", async () => {
    const cert = unregistered();
    const result = await h.provider({ credential: { kind: "certificate", privateKey: cert.privateKey, certificate: cert.certificate } }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /AADSTS700027/);
    assert.ok(!result.detail.includes("PRIVATE KEY"));
  });

  it("says a tenant without the MFA client cannot issue its token", async () => {
    const result = await h.provider({ tenantId: NORTHWIND }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /AADSTS700016/);
  });

  it("says a wrong secret is wrong, without repeating it", async () => {
    const result = await h.provider({ credential: { kind: "secret", secret: "mfa~wrong" } }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /AADSTS7000215/);
    assert.ok(!result.detail.includes("mfa~wrong") && !result.detail.includes(SECRET));
  });

  it("says sign-in cannot be reached", async () => {
    const result = await h.provider({ loginUrl: `http://127.0.0.1:${await freePort()}/login` }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /could not be reached \(ECONNREFUSED\)/);
  });

  it("without a pinned tenant, checks only that sign-in answers, and says why", async () => {
    h.fake.resetStats();
    const result = await h.provider({ tenantId: undefined, credential: { kind: "certificate", privateKey: registered().privateKey, certificate: registered().certificate } }).probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, /finds each caller's tenant from their UPN, so its credential is tested tenant by tenant/);
    assert.deepEqual(h.fake.requests.map((r) => r.path), ["/login/common/v2.0/.well-known/openid-configuration"]);
  });
});
