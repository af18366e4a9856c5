import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { oktaDirectoryConfigSchema } from "../../../src/adapters/directory/okta/okta-directory-config.js";
import { nextLink } from "../../../src/adapters/directory/okta/okta-directory-reads.js";
import { CLIENT_ID, testKeyPair } from "./okta-kit.js";
import { codeOf, IDS, NO_ROLES_APP, startOktaDirectoryKit, type OktaDirectoryKit } from "./okta-directory-kit.js";

describe("Okta directory: search", () => {
  let kit: OktaDirectoryKit;
  before(async () => {
    kit = await startOktaDirectoryKit({ pageSize: 2 });
  });
  after(() => kit.close());

  it("follows Link rel=next pages until it has the limit, and returns identity only", async () => {
    kit.fake.reset();
    const found = await kit.directory().search("chris", 5);
    assert.deepEqual(
      found.map((u) => u.displayName),
      ["Chris Able", "Chris Baker", "Chris Charlie", "Chris Delta", "Chris Echo"],
    );
    assert.equal(kit.calls("/api/v1/users"), 3, "three pages of two");
    assert.ok(found.every((u) => u.phones.length === 0 && u.groups.length === 0 && u.providerIds.okta !== undefined));
    assert.equal(kit.calls("/api/v1/users/"), 0, "no user's factors, groups or roles were read");
  });

  it("stops at the limit without reading pages it does not need", async () => {
    kit.fake.reset();
    assert.equal((await kit.directory().search("chris", 3)).length, 3);
    assert.equal(kit.calls("/api/v1/users"), 2);
  });

  it("matches first and last name when the technician types both, and refuses text Okta cannot take", async () => {
    assert.deepEqual((await kit.directory().search("chris de", 10)).map((u) => u.displayName), ["Chris Delta"]);
    assert.deepEqual((await kit.directory().search("jane.d", 10)).map((u) => u.id), [IDS.jane]);
    assert.equal((await codeOf(kit.directory().search('jane" or status eq "ACTIVE', 10))).code, "SEARCH_QUERY_UNSUPPORTED");
    assert.deepEqual(await kit.directory().search("  ", 10), []);
  });

  it("follows a next link only on the org and the same list", () => {
    const org = "https://acme.okta.com";
    const here = `${org}/api/v1/users?search=x`;
    assert.equal(nextLink(`<${org}/api/v1/users?after=1>; rel="self", <${org}/api/v1/users?after=2>; rel="next"`, here, org), `${org}/api/v1/users?after=2`);
    assert.equal(nextLink(`<${org}/api/v1/users?after=1>; rel="self"`, here, org), undefined);
    assert.throws(() => nextLink(`<https://evil.example/api/v1/users?after=2>; rel="next"`, here, org), /will not follow/);
    assert.throws(() => nextLink(`<${org}/api/v1/groups?after=2>; rel="next"`, here, org), /will not follow/);
  });
});

describe("Okta directory: rate limits, credentials and the connection test", () => {
  let kit: OktaDirectoryKit;
  before(async () => {
    kit = await startOktaDirectoryKit();
  });
  after(() => kit.close());

  it("waits out a 429 whose window resets soon, then answers", async () => {
    const tight = await startOktaDirectoryKit({ rateLimit: { limit: 3, windowSeconds: 1 } });
    try {
      const started = Date.now();
      const jane = await tight.directory().findUser(IDS.jane);
      assert.equal(jane?.id, IDS.jane);
      const statuses = tight.fake.requests.map((r) => r.response?.status);
      assert.ok(statuses.includes(429), `Okta answered ${statuses.join(", ")}`);
      assert.ok(Date.now() - started >= 200, "it waited for the window");
    } finally {
      await tight.close();
    }
  });

  it("holds calls back once Remaining reaches 0, refusing at once with the wait when the reset is far", async () => {
    const spent = await startOktaDirectoryKit({ rateLimit: { limit: 4, windowSeconds: 60 } });
    try {
      const directory = spent.directory();
      assert.ok((await directory.findUser(IDS.jane)) !== null);
      const sent = spent.fake.requests.length;
      const refused = await codeOf(directory.findUser("ada.admin@acme.example"));
      assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
      assert.ok((refused.retryAfterSeconds ?? 0) > 2 && (refused.retryAfterSeconds ?? 0) <= 62, String(refused.retryAfterSeconds));
      assert.match(refused.message, /rate limit is used up/);
      assert.equal(spent.fake.requests.length, sent, "nothing was sent into a spent window");
    } finally {
      await spent.close();
    }
  });

  it("maps a 429 with a far reset, a refused token and a missing admin role to clear errors", async () => {
    kit.fake.setRateLimitRemaining(0);
    const limited = await codeOf(kit.directory().findUser(IDS.jane));
    assert.equal(limited.code, "DIRECTORY_UNAVAILABLE");
    assert.match(limited.message, /E0000047/);
    kit.fake.setRateLimitRemaining(500);

    const badToken = await codeOf(kit.directory({ auth: { kind: "ssws", token: "not-a-real-token" } }).findUser(IDS.jane));
    assert.equal(badToken.code, "UPSTREAM_AUTH_FAILED");
    assert.match(badToken.message, /refused the API token \(E0000011/);

    kit.fake.failNext("403", 1, "roles");
    const denied = await codeOf(kit.directory().findUser(IDS.jane));
    assert.equal(denied.code, "UPSTREAM_AUTH_FAILED");
    assert.match(denied.message, /list the user's Okta admin roles \(E0000006, access denied\).*Read-Only Administrator/);
  });

  it("maps Okta outages to DIRECTORY_UNAVAILABLE", async () => {
    kit.fake.failNext("500", 1, "factors");
    const outage = await codeOf(kit.directory().findUser(IDS.jane));
    assert.equal(outage.code, "DIRECTORY_UNAVAILABLE");
  });

  it("signs in as an API service app with read-only scopes, and says which scope an app lacks", async () => {
    const jane = await kit.directory({ auth: kit.oauth() }).findUser(IDS.jane);
    assert.equal(jane?.privileged, false);
    const token = kit.fake.requests.find((r) => r.path === "/oauth2/v1/token");
    assert.equal(new URLSearchParams(token?.rawBody).get("scope"), "okta.users.read okta.roles.read");
    const refused = await codeOf(kit.directory({ auth: kit.oauth({ clientId: NO_ROLES_APP }) }).findUser(IDS.jane));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /invalid_scope.*Grant API service app 0oaVerityNoRolesApp1 the scopes okta\.users\.read and okta\.roles\.read/);
  });

  it("requires the read scopes in configuration, and no manage scope", () => {
    const parsed = oktaDirectoryConfigSchema.safeParse({
      kind: "okta",
      orgUrl: "https://acme.okta.com",
      auth: { kind: "oauth", clientId: CLIENT_ID, privateKey: testKeyPair().privateKey, scopes: ["okta.users.read"] },
    });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /must include okta\.roles\.read/);
    assert.equal(oktaDirectoryConfigSchema.safeParse({ kind: "okta", orgUrl: "https://acme-admin.okta.com", auth: { kind: "ssws", token: "t" } }).success, false);
  });

  it("probes with a lookup of no one and a role read, and reports refused credentials", async () => {
    kit.fake.reset();
    const ok = await kit.directory({ auth: kit.oauth() }).probe();
    assert.equal(ok.ok, true, ok.detail);
    assert.match(ok.detail, /okta\.users\.read.*okta\.roles\.read/);
    assert.deepEqual(
      kit.fake.requests.filter((r) => r.path.startsWith("/api/")).map((r) => r.path).sort(),
      ["/api/v1/users/verity-connection-test", "/api/v1/users/verity-connection-test/roles"],
    );
    const bad = await kit.directory({ auth: { kind: "ssws", token: "s3cr3t-token-value" } }).probe();
    assert.equal(bad.ok, false);
    assert.match(bad.detail, /refused the API token/);
    assert.ok(!bad.detail.includes("s3cr3t"), "the token is never shown");
  });
});
