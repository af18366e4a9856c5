import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { DirectoryUser } from "../../../src/domain/ports.js";
import { failure } from "./entra-fixtures.js";
import { CONTOSO, FABRIKAM, NARROW_APP_ID, PEOPLE, startSearchHarness, type SearchHarness } from "./entra-search-fixtures.js";

const SELECT = "id,displayName,userPrincipalName,mail,onPremisesSamAccountName,accountEnabled,proxyAddresses";
const searchOf = (q: string) => `"displayName:${q}" OR "mail:${q}" OR "userPrincipalName:${q}"`;
const names = (users: readonly DirectoryUser[]) => users.map((u) => u.displayName).sort();

describe("Entra directory: search as the technician types", () => {
  let h: SearchHarness;
  before(async () => {
    h = await startSearchHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    h.fake.resetStats();
    h.fake.clearFailures();
  });

  const searches = () => h.userQueries().filter((r) => r.query.$search !== undefined);
  const accountFilters = () => h.userQueries().filter((r) => r.query.$filter !== undefined);

  it("finds people by the start of any word of their name, in one $search read with the advanced-query header", async () => {
    const found = await h.directory().search("jan", 20);
    assert.deepEqual(names(found), ["Jane Doe"]);
    assert.deepEqual(
      searches().map((r) => ({ query: r.query, consistencyLevel: r.consistencyLevel })),
      [{ query: { $search: searchOf("jan"), $select: SELECT, $count: "true", $top: "20" }, consistencyLevel: "eventual" }],
    );
    assert.deepEqual(names(await h.directory().search("Doe ja", 20)), ["Jane Doe"], "words in any order");
    assert.deepEqual(names(await h.directory().search("jo", 20)), ["Joanna Jones", "John Smith", "Jordan Lee", "Sam Admin"]);
  });

  it("returns identity only: composite ids and names, no methods, roles or audits read (one or two Graph calls, not one per user)", async () => {
    const [jane] = await h.directory().search("jane", 20);
    assert.ok(jane !== undefined);
    assert.equal(jane.id, `${CONTOSO}:${PEOPLE.jane}`);
    assert.equal(jane.upn, "jane.doe@contoso.example");
    assert.equal(jane.mail, "jane.doe@contoso.example");
    assert.equal(jane.samAccountName, "JDoe");
    assert.deepEqual(jane.providerIds, { entra: "jane.doe@contoso.example" });
    assert.deepEqual([jane.phones, jane.emails, jane.groups, jane.unusable], [[], [], [], []]);
    assert.equal(jane.privileged, false);
    assert.ok(h.fake.requests.every((r) => !r.path.startsWith("/graph/") || r.path === "/graph/v1.0/users"), "only /users was read");
    assert.equal(h.userQueries().length, 2, "the $search and the account-name filter");
  });

  it("picking a result and looking it up by its id reads the caller's methods", async () => {
    const directory = h.directory();
    const [jane] = await directory.search("Jane Doe", 20);
    const card = await directory.findUser(jane?.id ?? "");
    assert.deepEqual(card?.phones.map((p) => p.phone.e164), ["+14255550101"]);
    assert.deepEqual(card?.emails, ["jane.private@example.net"]);
    assert.equal(card?.privileged, true);
  });

  it("finds people by the start of their mail and of their UPN, which need not be alike", async () => {
    assert.deepEqual(names(await h.directory().search("alex.kim@con", 20)), ["Alex Kim"]);
    assert.deepEqual(names(await h.directory().search("a.kim@contoso.onm", 20)), ["Alex Kim"]);
    assert.deepEqual(await h.directory().search("kim@contoso", 20), [], "mail and UPN match from their start only");
  });

  it("finds people by their exact account name with a filter sent beside the $search", async () => {
    h.fake.setLatency(100);
    try {
      assert.deepEqual(names(await h.directory().search("jsmith", 20)), ["John Smith"]);
    } finally {
      h.fake.setLatency(0);
    }
    const [filter] = accountFilters();
    assert.deepEqual(filter?.query, { $filter: "onPremisesSamAccountName eq 'jsmith'", $select: SELECT, $count: "true", $top: "20" });
    assert.equal(filter?.consistencyLevel, "eventual");
    const [first, second] = h.userQueries();
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(Math.abs(first.time.getTime() - second.time.getTime()) < 100, "the two reads were in flight together");
  });

  it("lists an account-name match first and each person once", async () => {
    const found = await h.directory().search("joanna", 20);
    assert.deepEqual(names(found), ["Joanna Jones"], "found by account name, name and UPN, listed once");
    const jo = await h.directory().search("jo", 20);
    assert.equal(jo[0]?.displayName, "Sam Admin", "her account name is exactly 'jo'");
  });

  it("sends no account-name filter for text that cannot be one", async () => {
    await h.directory().search("Jane Doe", 20);
    await h.directory().search("jane@contoso.example", 20);
    assert.equal(accountFilters().length, 0);
    assert.equal(searches().length, 2);
  });

  it("asks Graph for at most `limit` users and returns no more, even when both reads answer", async () => {
    const found = await h.directory().search("jo", 2);
    assert.equal(found.length, 2);
    assert.equal(found[0]?.displayName, "Sam Admin");
    assert.ok(h.userQueries().every((r) => r.query.$top === "2"));
    await h.directory().search("jo", 5000);
    assert.ok(h.userQueries().slice(2).every((r) => r.query.$top === "999"), "Graph's largest page for users");
    h.fake.resetStats();
    assert.deepEqual(await h.directory().search("jo", 0), []);
    assert.equal(h.userQueries().length, 0);
  });

  it("reads only the first page, never following nextLink", async () => {
    h.fake.injectNextLink("/graph/v1.0/users", `${h.fake.graphUrl}/v1.0/users?$skiptoken=1`);
    assert.equal((await h.directory().search("Jordan Lee", 20)).length, 1);
    assert.equal(h.userQueries().length, 1);
  });

  it("escapes a name's quotes: doubled single quotes in the filter, backslashed double quotes in $search", async () => {
    assert.deepEqual(names(await h.directory().search("o'brien", 20)), ["Pat O'Brien"]);
    assert.equal(accountFilters()[0]?.query.$filter, "onPremisesSamAccountName eq 'o''brien'");
    assert.equal(searches()[0]?.query.$search, searchOf("o'brien"));
    h.fake.resetStats();
    assert.deepEqual(names(await h.directory().search('Robert "Bobby', 20)), ['Robert "Bobby" Tables']);
    assert.equal(searches()[0]?.query.$search, searchOf('Robert \\"Bobby'));
    h.fake.resetStats();
    assert.deepEqual(await h.directory().search("back\\slash", 20), []);
    assert.equal(searches()[0]?.query.$search, searchOf("back\\\\slash"));
    assert.ok(h.fake.requests.every((r) => r.status === 200), "Graph accepted every expression");
  });

  it("refuses text Graph cannot search for before asking it", async () => {
    for (const text of ["Smith & Co", "jane\u0000", "x".repeat(257)]) {
      const refused = await failure(h.directory().search(text, 20));
      assert.equal(refused.code, "SEARCH_QUERY_UNSUPPORTED", text);
    }
    assert.match((await failure(h.directory().search("Smith & Co", 20))).message, /cannot take '&'/);
    assert.equal(h.fake.requests.length, 0);
  });

  it("never sends an advanced query without ConsistencyLevel: eventual, so Graph never answers 400", async () => {
    const directory = h.directory();
    for (const text of ["jo", "Jane Doe", "o'brien", "alex.kim@contoso.example", 'Robert "Bobby"', "jsmith"]) await directory.search(text, 10);
    const advanced = h.userQueries().filter((r) => r.query.$search !== undefined || r.query.$count !== undefined);
    assert.equal(advanced.length, h.userQueries().length);
    assert.ok(advanced.every((r) => r.consistencyLevel === "eventual" && r.status === 200));
  });

  it("waits as long as a 429's Retry-After asks, then answers", async () => {
    h.fake.failNext("/graph/v1.0/users", { status: 429, retryAfter: 1 });
    const started = Date.now();
    assert.deepEqual(names(await h.directory().search("Jane Doe", 20)), ["Jane Doe"]);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.deepEqual(
      searches().map((r) => r.status),
      [429, 200],
    );
  });

  it("reports throttling that outlasts the retries as DIRECTORY_UNAVAILABLE with its Retry-After", async () => {
    h.fake.failNext("/graph/v1.0/users", { status: 429, retryAfter: 120 }, 5);
    const refused = await failure(h.directory().search("Jane Doe", 20));
    assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
    assert.equal(refused.retryAfterSeconds, 120);
    assert.match(refused.message, /Microsoft Graph is throttling Verity/);
  });

  it("needs only User.Read.All, and names it when it is missing", async () => {
    assert.deepEqual(names(await h.directory({ clientId: NARROW_APP_ID }).search("jane", 20)), ["Jane Doe"]);
    const refused = await failure(h.directory({ clientId: NARROW_APP_ID, tenantId: FABRIKAM }).search("fabi", 20));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /needs the application permission User\.Read\.All/);
  });

  describe("which tenant is searched", () => {
    const catchAll = () => h.directory({ tenantId: undefined });

    it("a pinned directory searches its own tenant, whatever domain the text names", async () => {
      assert.deepEqual(await h.directory().search("fabi@fabrikam.example", 20), []);
      assert.ok(h.fake.requests.every((r) => !r.path.includes("fabrikam") && !r.path.includes(FABRIKAM)));
    });

    it("a directory serving its Verity tenant's domain searches that domain's tenant", async () => {
      const found = await h.directory({ tenantId: undefined }, { tenantDomain: "fabrikam.example" }).search("fab", 20);
      assert.deepEqual(found.map((u) => u.id), [`${FABRIKAM}:${PEOPLE.fabi}`]);
    });

    it("the catch-all directory searches the tenant of the email domain typed", async () => {
      const found = await catchAll().search("fabi@fabrikam.example", 20);
      assert.deepEqual(found.map((u) => u.id), [`${FABRIKAM}:${PEOPLE.fabi}`]);
      assert.deepEqual(names(await catchAll().search("jane.doe@CONTOSO.example", 20)), ["Jane Doe"]);
    });

    it("the catch-all directory refuses a name alone, saying to type the caller's email, without asking anyone", async () => {
      for (const text of ["jordan", "jane@", "@contoso.example", "jane@contoso"]) {
        const refused = await failure(catchAll().search(text, 20));
        assert.equal(refused.code, "SEARCH_NEEDS_EMAIL", text);
        assert.match(refused.message, /type the caller's email to search a client tenant/);
      }
      assert.equal(h.fake.requests.length, 0);
    });

    it("the catch-all directory reports a domain no tenant verified", async () => {
      const refused = await failure(catchAll().search("someone@nowhere.example", 20));
      assert.equal(refused.code, "TENANT_NOT_FOUND");
      assert.equal(h.userQueries().length, 0);
    });
  });
});
