import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createFakeClock } from "../../helpers/clock.js";
import { CLIENT_ID, directoryUser, JANE, pushRequest, SAM, shown, startOktaKit, testKeyPair, type OktaKit } from "./okta-kit.js";

const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
const describeJane = { providerUserId: JANE, user: directoryUser(JANE), tenantId: "acme" };

describe("Okta credentials: SSWS API tokens and OAuth service apps", () => {
  let kit: OktaKit;
  before(async () => {
    kit = await startOktaKit({
      apiTokens: [
        { token: "00SuperAdminToken", role: "super" },
        { token: "00ReadOnlyAdminToken", role: "read-only" },
      ],
      serviceApps: [
        { clientId: CLIENT_ID, publicKeys: [{ kid: "verity-1", pem: testKeyPair().publicKey }], scopes: ["okta.users.read", "okta.users.manage"] },
        { clientId: "0oaEcApp", publicKeys: [{ pem: testKeyPair("ec", "ec").publicKey }], scopes: ["okta.users.read", "okta.users.manage"] },
        { clientId: "0oaReadOnlyGrant", publicKeys: [{ pem: testKeyPair().publicKey }], scopes: ["okta.users.read"] },
        { clientId: "0oaDpopApp", publicKeys: [{ pem: testKeyPair().publicKey }], scopes: ["okta.users.read", "okta.users.manage"], requireDpop: true },
        { clientId: "0oaReadOnlyRole", publicKeys: [{ pem: testKeyPair().publicKey }], scopes: ["okta.users.read", "okta.users.manage"], role: "read-only" },
      ],
    });
  });
  after(() => kit.close());

  it("sends Authorization: SSWS with an API token on every call", async () => {
    kit.fake.reset();
    const okta = kit.provider({ auth: { kind: "ssws", token: "00SuperAdminToken" } });
    await okta.startPush(pushRequest(JANE));
    assert.ok(kit.fake.requests.length >= 3);
    assert.ok(kit.fake.requests.every((r) => r.headers.authorization === "SSWS 00SuperAdminToken"));
  });

  it("explains a refused API token without repeating it", async () => {
    const okta = kit.provider({ auth: { kind: "ssws", token: "00RevokedToken" } });
    await assert.rejects(okta.describeUser(describeJane), (e) => {
      assert.match(shown(e), /^UPSTREAM_AUTH_FAILED Okta refused the API token \(E0000011/);
      assert.match(shown(e), /Security › API › Tokens/);
      assert.doesNotMatch(shown(e), /00RevokedToken/);
      return true;
    });
  });

  it("lets a read-only admin's token look users up but names the admin role a push needs", async () => {
    const okta = kit.provider({ auth: { kind: "ssws", token: "00ReadOnlyAdminToken" } });
    assert.equal((await okta.describeUser(describeJane))?.push, true);
    await assert.rejects(okta.startPush(pushRequest(JANE)), (e) => /UPSTREAM_AUTH_FAILED .*E0000006.*admin roles of the admin who created it.*read-only admin's token cannot send pushes/.test(shown(e)));
  });

  it("gets a Bearer token with a private_key_jwt assertion for the token URL, and reuses it", async () => {
    kit.fake.reset();
    const okta = kit.provider({ auth: kit.oauth() });
    await okta.describeUser(describeJane);
    await okta.startPush(pushRequest(JANE));
    const tokenRequests = kit.fake.requests.filter((r) => r.path === "/oauth2/v1/token");
    assert.equal(tokenRequests.length, 1);
    const form = new URLSearchParams(tokenRequests[0]?.rawBody);
    assert.equal(form.get("grant_type"), "client_credentials");
    assert.equal(form.get("scope"), "okta.users.read okta.users.manage");
    assert.equal(form.get("client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    const [header, claims] = (form.get("client_assertion") ?? "").split(".");
    assert.deepEqual(decode(header), { alg: "RS256", typ: "JWT", kid: "verity-1" });
    const c = decode(claims);
    assert.equal(c.aud, kit.fake.tokenUrl);
    assert.equal(c.iss, CLIENT_ID);
    assert.equal(c.sub, CLIENT_ID);
    assert.ok(Number(c.exp) - Number(c.iat) <= 3600);
    const api = kit.fake.requests.filter((r) => r.path.startsWith("/api/v1/"));
    assert.ok(api.length >= 4 && api.every((r) => /^Bearer \S+$/.test(String(r.headers.authorization))));
    assert.equal(kit.fake.requests.find((r) => r.path.endsWith("/verify"))?.response?.status, 201);
  });

  it("asks for one token however many calls need it at once", async () => {
    kit.fake.reset();
    const okta = kit.provider({ auth: kit.oauth() });
    await Promise.all([JANE, SAM, JANE, SAM, JANE].map((u) => okta.describeUser({ providerUserId: u, user: directoryUser(u), tenantId: "acme" })));
    assert.equal(kit.fake.requests.filter((r) => r.path === "/oauth2/v1/token").length, 1);
  });

  it("signs ES256 with an EC P-256 key", async () => {
    const okta = kit.provider({ auth: { kind: "oauth", clientId: "0oaEcApp", privateKey: testKeyPair("ec", "ec").privateKey } });
    assert.equal((await okta.describeUser(describeJane))?.push, true);
  });

  it("refuses the wrong key with what to check on the app", async () => {
    const okta = kit.provider({ auth: kit.oauth({ privateKey: testKeyPair("someone-else").privateKey, keyId: undefined }) });
    await assert.rejects(okta.describeUser(describeJane), (e) => {
      const text = shown(e);
      assert.match(text, /^UPSTREAM_AUTH_FAILED Okta refused Verity's token request for API service app 0oaVerityServiceApp1 \(invalid_client: The client_assertion signature is invalid\.\)/);
      assert.match(text, /"Public key \/ Private key" client authentication and that the public key registered on it matches the configured privateKey/);
      assert.doesNotMatch(text, /PRIVATE KEY/);
      return true;
    });
  });

  it("names the scopes to grant, and the DPoP setting to clear", async () => {
    const narrow = kit.provider({ auth: kit.oauth({ clientId: "0oaReadOnlyGrant", keyId: undefined }) });
    await assert.rejects(narrow.describeUser(describeJane), (e) => /invalid_scope.*Grant API service app 0oaReadOnlyGrant the scopes okta\.users\.read and okta\.users\.manage on its Okta API Scopes tab/.test(shown(e)));
    const dpop = kit.provider({ auth: kit.oauth({ clientId: "0oaDpopApp", keyId: undefined }) });
    await assert.rejects(dpop.startPush(pushRequest(JANE)), (e) => /invalid_dpop_proof.*requires DPoP-bound tokens.*Require Demonstrating Proof of Possession/.test(shown(e)));
  });

  it("names the scope and admin role when an app may read but not verify", async () => {
    const okta = kit.provider({ auth: kit.oauth({ clientId: "0oaReadOnlyRole", keyId: undefined }) });
    await assert.rejects(okta.startPush(pushRequest(JANE)), (e) => /UPSTREAM_AUTH_FAILED .*API service app 0oaReadOnlyRole.*okta\.users\.manage scope.*admin role/.test(shown(e)));
  });

  it("fetches a new token once when Okta refuses the cached one", async () => {
    const okta = kit.provider({ auth: kit.oauth() });
    await okta.describeUser(describeJane);
    kit.fake.reset();
    kit.fake.revokeAccessTokens();
    assert.equal((await okta.describeUser({ providerUserId: SAM, user: directoryUser(SAM), tenantId: "acme" }))?.push, true);
    assert.equal(kit.fake.requests.filter((r) => r.path === "/oauth2/v1/token").length, 1);
    assert.deepEqual(kit.fake.requests.filter((r) => r.path.startsWith("/api/")).map((r) => r.response?.status), [401, 200, 200]);
  });
});

describe("Okta access-token lifetime", () => {
  it("renews the token before it expires", async () => {
    const clock = createFakeClock(new Date());
    const kit = await startOktaKit({ now: () => clock.now().getTime(), tokenLifetimeSeconds: 600 });
    try {
      const okta = kit.provider({ auth: kit.oauth() }, clock);
      await okta.describeUser(describeJane);
      clock.advance(290_000);
      await okta.describeUser(describeJane);
      assert.equal(kit.fake.requests.filter((r) => r.path === "/oauth2/v1/token").length, 1);
      clock.advance(20_000);
      await okta.describeUser(describeJane);
      assert.equal(kit.fake.requests.filter((r) => r.path === "/oauth2/v1/token").length, 2);
    } finally {
      await kit.close();
    }
  });
});
