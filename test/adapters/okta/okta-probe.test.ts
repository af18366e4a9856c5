import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../helpers/net.js";
import { CLIENT_ID, startOktaKit, testKeyPair, type OktaKit } from "./okta-kit.js";

describe("Okta: the connection test", () => {
  let kit: OktaKit;
  before(async () => {
    kit = await startOktaKit({
      serviceApps: [
        { clientId: CLIENT_ID, publicKeys: [{ kid: "verity-1", pem: testKeyPair().publicKey }], scopes: ["okta.users.read", "okta.users.manage"] },
        { clientId: "0oaManageOnly", publicKeys: [{ kid: "verity-1", pem: testKeyPair().publicKey }], scopes: ["okta.users.manage"] },
      ],
    });
  });
  after(() => kit.close());

  it("looks up a user no one has, which proves the API token and reads no one's data", async () => {
    const before = kit.fake.requests.length;
    const result = await kit.provider().probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, /^Okta \(http:\/\/127\.0\.0\.1:\d+\) accepted the API token and answered a user lookup: reading users \(okta\.users\.read\) works\./);
    assert.deepEqual(kit.fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), ["GET /api/v1/users/verity-connection-test"]);
  });

  it("fetches a new access token for an API service app, then looks up no one", async () => {
    const provider = kit.provider({ auth: kit.oauth() });
    assert.equal((await provider.probe?.())?.ok, true);
    const before = kit.fake.requests.length;
    const result = await provider.probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, new RegExp(`accepted an access token issued to API service app ${CLIENT_ID}`));
    assert.deepEqual(kit.fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), ["POST /oauth2/v1/token", "GET /api/v1/users/verity-connection-test"]);
  });

  it("says a refused API token is refused, and why tokens stop working", async () => {
    const result = await kit.provider({ auth: { kind: "ssws", token: "00notARealToken" } }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Okta refused the API token \(E0000011, invalid token\)\. A token stops working when it is revoked, after 30 days unused/);
    assert.ok(!result.detail.includes("00notARealToken"));
  });

  it("names the scope a service app lacks", async () => {
    const result = await kit.provider({ auth: kit.oauth({ clientId: "0oaManageOnly" }) }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /Grant API service app 0oaManageOnly the scopes okta\.users\.read and okta\.users\.manage/);
  });

  it("says Okta cannot be reached", async () => {
    const result = await kit.provider({ orgUrl: `http://127.0.0.1:${await freePort()}` }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Verity could not look up a user \(a connection test\): Okta could not be reached \(ECONNREFUSED\)\.$/);
  });
});
