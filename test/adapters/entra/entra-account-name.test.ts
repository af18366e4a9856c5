import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { createEntraDirectory } from "../../../src/adapters/directory/entra/entra-directory.js";
import { APP_ID, CONTOSO, failure, findSettled, SECRET, startHarness, USERS, type Harness } from "./entra-fixtures.js";

const USERS_QUERY = /^\/graph\/v1\.0\/users$/;

describe("Entra directory: lookups by the id a technician always typed", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    h.fake.resetStats();
    h.fake.setLatency(0);
  });

  const pinned = () => h.directory({ tenantId: CONTOSO });
  const filtersSent = () => h.fake.requests.filter((r) => USERS_QUERY.test(r.path)).map((r) => r.query);

  it("finds a user by on-premises account name with an advanced query, and by UPN prefix at the same time", async () => {
    const user = await findSettled(pinned(), "jdoe");
    assert.equal(user?.id, `${CONTOSO}:${USERS.jane}`);
    assert.equal(user?.samAccountName, "JDoe");
    const select = "id,displayName,userPrincipalName,mail,onPremisesSamAccountName,accountEnabled,proxyAddresses";
    assert.deepEqual(
      filtersSent().sort((a, b) => String(a.$filter).localeCompare(String(b.$filter))),
      [
        { $filter: "onPremisesSamAccountName eq 'jdoe'", $select: select, $count: "true", $top: "2" },
        { $filter: "startswith(userPrincipalName,'jdoe@')", $select: select, $top: "2" },
      ],
    );
  });

  it("finds a user by the part of the UPN before the @", async () => {
    const user = await findSettled(pinned(), "A.Kim");
    assert.equal(user?.upn, "a.kim@contoso.onmicrosoft.example");
  });

  it("sends both account-name queries at once, not one after the other", async () => {
    h.fake.setLatency(150);
    const directory = pinned();
    await findSettled(directory, "sadmin");
    const [first, second] = h.fake.requests.filter((r) => USERS_QUERY.test(r.path));
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(Math.abs(first.time.getTime() - second.time.getTime()) < 150, "the second query left before the first was answered");
  });

  it("doubles an apostrophe in both filters", async () => {
    const user = await findSettled(pinned(), "o'brien");
    assert.equal(user?.displayName, "Pat O'Brien");
    assert.deepEqual(filtersSent().map((q) => q.$filter).sort(), ["onPremisesSamAccountName eq 'o''brien'", "startswith(userPrincipalName,'o''brien@')"]);
  });

  it("refuses to choose when the account name and a UPN prefix name different users", async () => {
    const refused = await failure(pinned().findUser("Dana"));
    assert.equal(refused.code, "USER_AMBIGUOUS");
    assert.match(refused.message, /More than one Entra user matches 'Dana'/);
    assert.match(refused.message, /d\.white@contoso\.example/);
    assert.match(refused.message, /dana@contoso\.example/);
    assert.match(refused.message, /Use the UPN or email/);
    assert.equal((await findSettled(pinned(), "dana@contoso.example"))?.displayName, "Dana Disabled", "the UPN still finds her");
  });

  it("returns null when no user has that account name or UPN prefix", async () => {
    assert.equal(await pinned().findUser("nobody"), null);
    assert.equal(filtersSent().length, 2);
  });

  it("looks account names up in the tenant of its Verity tenant's domain", async () => {
    const directory = createEntraDirectory(h.config(), { clock: h.clock, log: pino({ level: "silent" }), tenantDomain: "contoso.example" });
    try {
      assert.equal((await directory.findUser("sadmin"))?.upn, "sam.admin@contoso.example");
    } finally {
      await directory.close();
    }
  });

  it("the fake Graph, like Graph, filters onPremisesSamAccountName only as an advanced query", async () => {
    const form = new URLSearchParams({ client_id: APP_ID, client_secret: SECRET, scope: `${h.fake.graphUrl}/.default`, grant_type: "client_credentials" });
    const token = ((await (await fetch(`${h.fake.loginUrl}/${CONTOSO}/oauth2/v2.0/token`, { method: "POST", body: form })).json()) as { access_token: string }).access_token;
    const filter = encodeURIComponent("onPremisesSamAccountName eq 'jdoe'");
    const get = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${h.fake.graphUrl}/v1.0/users?$filter=${filter}${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    for (const [query, headers] of [["", {}], ["&$count=true", {}], ["", { ConsistencyLevel: "eventual" }]] as const) {
      const refused = await get(query, headers);
      assert.equal(refused.status, 400);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "Request_UnsupportedQuery");
      assert.match(body.error.message, /property 'onPremisesSamAccountName' of resource 'User'/);
    }
    const answered = await get("&$count=true", { ConsistencyLevel: "eventual" });
    assert.equal(answered.status, 200);
    const page = (await answered.json()) as { "@odata.count": number; value: { id: string }[] };
    assert.equal(page["@odata.count"], 1);
    assert.deepEqual(page.value.map((u) => u.id), [USERS.jane]);
  });
});
