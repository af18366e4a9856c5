import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseSearch, searchWords } from "../../fakes/entra/fake-search.js";
import { CONTOSO, startSearchHarness, type SearchHarness } from "./entra-search-fixtures.js";

interface Page {
  readonly "@odata.count"?: number;
  readonly value: readonly { displayName: string }[];
}

/**
 * The fake Graph's $search, held to what Microsoft documents ("Use the $search query parameter",
 * "Advanced query capabilities on Microsoft Entra ID objects"), so the adapter's tests mean
 * something.
 */
describe("fake Graph: $search on /users", () => {
  let h: SearchHarness;
  let token: string;
  before(async () => {
    h = await startSearchHarness();
    token = await h.token(CONTOSO);
  });
  after(() => h.close());

  const get = (search: string, extra = "&$count=true", headers: Record<string, string> = { ConsistencyLevel: "eventual" }) =>
    fetch(`${h.fake.graphUrl}/v1.0/users?$search=${encodeURIComponent(search)}${extra}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const found = async (search: string): Promise<string[]> => {
    const response = await get(search);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as Page).value.map((u) => u.displayName).sort();
  };

  it("refuses $search without ConsistencyLevel: eventual with Graph's 400 and message", async () => {
    const refused = await get('"displayName:jo"', "&$count=true", {});
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "Request_UnsupportedQuery");
    assert.equal(body.error.message, "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'");
  });

  it("takes $search with the header alone, and counts only with $count=true", async () => {
    const uncounted = await get('"displayName:jo"', "");
    assert.equal(uncounted.status, 200);
    assert.equal(((await uncounted.json()) as Page)["@odata.count"], undefined);
    const counted = (await (await get('"displayName:jo"')).json()) as Page;
    assert.equal(counted["@odata.count"], 3);
  });

  it("pages by $top", async () => {
    const page = (await (await get('"displayName:jo"', "&$count=true&$top=2")).json()) as Page & { "@odata.nextLink"?: string };
    assert.equal(page.value.length, 2);
    assert.equal(page["@odata.count"], 3);
    assert.match(page["@odata.nextLink"] ?? "", /%24skiptoken=2/);
  });

  it("matches displayName by word prefixes in any order, ignoring case; mail and UPN from their start", async () => {
    assert.deepEqual(await found('"displayName:wa"'), ["Oscar Ward"], "Microsoft's own example");
    assert.deepEqual(await found('"displayName:LEE JOR"'), ["Jordan Lee"]);
    assert.deepEqual(await found('"displayName:ard"'), [], "no 'contains' logic");
    assert.deepEqual(await found('"mail:JOHN.s"'), ["John Smith"]);
    assert.deepEqual(await found('"mail:smith"'), []);
    assert.deepEqual(await found('"userPrincipalName:a.kim@"'), ["Alex Kim"]);
  });

  it("joins clauses with AND and OR (AND first), and parentheses", async () => {
    assert.deepEqual(await found('"displayName:jo" AND "userPrincipalName:jordan"'), ["Jordan Lee"]);
    assert.deepEqual(await found('"displayName:oscar" OR "displayName:jo" AND "mail:john"'), ["John Smith", "Oscar Ward"]);
    assert.deepEqual(await found('("displayName:oscar" OR "displayName:jo") AND "userPrincipalName:jo"'), ["Joanna Jones", "Jordan Lee"]);
  });

  it("reads backslash escapes inside a clause", async () => {
    assert.deepEqual(await found('"displayName:\\"Bobby\\""'), ['Robert "Bobby" Tables']);
  });

  it("answers 400 to expressions Graph's syntax does not allow", async () => {
    for (const bad of ["displayName:jo", '"displayName:jo" or "mail:jo"', '"displayName:jo', '"nosuch:jo"', '"displayName:"', '"displayName:a\\b"', '("displayName:jo"']) {
      const response = await get(bad);
      assert.equal(response.status, 400, bad);
    }
  });

  it("tokenizes as Microsoft's examples do", () => {
    const tokens = (text: string) => searchWords(text).map((w) => [...w.parts, w.joined]);
    assert.deepEqual(tokens("hello world"), [["hello", "hello"], ["world", "world"]]);
    assert.deepEqual(tokens("HelloWorld"), [["hello", "world", "helloworld"]]);
    assert.deepEqual(tokens("HELLOworld"), [["helloworld", "helloworld"]], "only a lower-to-upper change splits");
    assert.deepEqual(tokens("HelloWORld"), [["hello", "world", "helloworld"]]);
    assert.deepEqual(tokens("hello.world"), [["hello", "world", "helloworld"]]);
    assert.deepEqual(tokens("hello123world"), [["hello", "123", "world", "hello123world"]]);
    assert.deepEqual(tokens("李四(David Li)"), [["李四", "david", "李四david"], ["li", "li"]]);
    assert.deepEqual(parseSearch('"mail:One" AND ("displayName:Video" OR "displayName:Drive")').kind, "and");
  });
});
