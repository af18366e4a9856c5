import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../helpers/net.js";
import { ALL_PERMISSIONS, APP_ID, CONTOSO, SECRET, startHarness, type Harness } from "./entra-fixtures.js";

describe("Entra directory: the connection test", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("signs in afresh, reads one user id and names the tenant's organisation", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    await directory.findUser("jane.doe@contoso.example");
    const issued = h.fake.tokensIssued();
    h.fake.resetStats();
    const result = await directory.probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.equal(result.detail, `Application ${APP_ID} signed in to Microsoft Entra tenant ${CONTOSO} (Contoso) and read its users: User.Read.All is granted.`);
    assert.equal(h.fake.tokensIssued(), issued + 1, "a fresh token, not the cached one");
    assert.deepEqual(
      h.fake.requests.filter((r) => r.path === "/graph/v1.0/users").map((r) => r.query),
      [{ $top: "1", $select: "id" }],
    );
  });

  it("says the client secret is wrong, and which value to configure", async () => {
    const result = await h.directory({ tenantId: CONTOSO, credential: { kind: "secret", secret: "not-the-secret" } }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /rejected the client secret of application .* \(AADSTS7000215\)\. Configure the secret's Value/);
    assert.ok(!result.detail.includes("not-the-secret") && !result.detail.includes(SECRET));
  });

  it("names the permission an administrator must grant when Graph refuses the read", async () => {
    h.fake.setConsent(APP_ID, CONTOSO, ALL_PERMISSIONS.filter((p) => p !== "User.Read.All"));
    try {
      const result = await h.directory({ tenantId: CONTOSO }).probe?.();
      assert.equal(result?.ok, false);
      assert.match(result.detail, /needs the application permission User\.Read\.All, granted with admin consent in that tenant \(.*adminconsent\?client_id=/);
    } finally {
      h.fake.setConsent(APP_ID, CONTOSO, ALL_PERMISSIONS);
    }
  });

  it("says a tenant that does not exist does not exist", async () => {
    const result = await h.directory({ tenantId: "00000000-0000-4000-8000-000000000000" }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /has no tenant 00000000-0000-4000-8000-000000000000 \(AADSTS90002\)/);
  });

  it("says sign-in cannot be reached", async () => {
    const result = await h.directory({ tenantId: CONTOSO, loginUrl: `http://127.0.0.1:${await freePort()}/login` }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /could not be reached \(ECONNREFUSED\)/);
  });

  it("for a directory serving every tenant, checks only that sign-in answers, and says why", async () => {
    h.fake.resetStats();
    const result = await h.directory().probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, /sign-in at .* answers\. This directory finds each caller's Entra tenant from their email domain/);
    assert.deepEqual(h.fake.requests.map((r) => r.path), ["/login/common/v2.0/.well-known/openid-configuration"]);
    const unreachable = await h.directory({ loginUrl: `http://127.0.0.1:${await freePort()}/login` }).probe?.();
    assert.equal(unreachable?.ok, false);
    assert.match(unreachable.detail, /ECONNREFUSED/);
  });
});
