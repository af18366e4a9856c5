import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startFakeServiceNow, type FakeSnow } from "../../fakes/servicenow/fake-servicenow.js";
import { SNOW_USER, snowWorld, sysId, USERS } from "./snow-test-setup.js";

const AUTH = { authorization: `Basic ${Buffer.from(`${SNOW_USER.username}:${SNOW_USER.password}`).toString("base64")}`, accept: "application/json" };

describe("the fake ServiceNow keeps the documented contract", () => {
  let fake: FakeSnow;
  const get = async (path: string) => {
    const response = await fetch(`${fake.instanceUrl}${path}`, { headers: AUTH });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
  };
  before(async () => {
    fake = await startFakeServiceNow({ tables: snowWorld({ jane: "INC0010001", sam: "INC0010002", priya: "SCTASK0010003" }) });
  });
  after(() => fake.close());

  it("answers an empty query with 404 on v1 and 200 [] on v2", async () => {
    const v1 = await get("/api/now/table/incident?sysparm_query=number=INC9");
    assert.equal(v1.status, 404);
    assert.deepEqual(v1.json, { error: { message: "No Record found", detail: "Records not found" }, status: "failure" });
    const v2 = await get("/api/now/v2/table/incident?sysparm_query=number=INC9");
    assert.equal(v2.status, 200);
    assert.deepEqual(v2.json, { result: [] });
  });

  it("pages with sysparm_limit/offset, X-Total-Count and Link", async () => {
    const page = await get("/api/now/v2/table/sys_user?sysparm_limit=2&sysparm_offset=0&sysparm_query=ORDERBYuser_name");
    assert.equal(page.headers.get("x-total-count"), "4");
    assert.match(page.headers.get("link") ?? "", /sysparm_limit=2&sysparm_offset=2[^>]*>;rel="next"/);
    assert.equal((page.json.result as unknown[]).length, 2);
  });

  it("returns references as {link, value} unless excluded, and journal fields as empty", async () => {
    const jane = sysId("inc-jane");
    const linked = await get(`/api/now/v2/table/incident/${jane}?sysparm_fields=caller_id,work_notes`);
    assert.deepEqual(linked.json.result, { caller_id: { link: `${fake.instanceUrl}/api/now/table/sys_user/${USERS.jane.sys_id}`, value: USERS.jane.sys_id }, work_notes: "" });
    const bare = await get(`/api/now/v2/table/incident/${jane}?sysparm_fields=caller_id&sysparm_exclude_reference_link=true`);
    assert.deepEqual(bare.json.result, { caller_id: USERS.jane.sys_id });
  });

  it("turns a PATCHed work note into a sys_journal_field row", async () => {
    const jane = sysId("inc-jane");
    const response = await fetch(`${fake.instanceUrl}/api/now/v2/table/incident/${jane}`, { method: "PATCH", headers: { ...AUTH, "content-type": "application/json" }, body: JSON.stringify({ work_notes: "hello" }) });
    assert.equal(response.status, 200);
    const rows = await get(`/api/now/v2/table/sys_journal_field?sysparm_query=element_id=${jane}^element=work_notes`);
    assert.deepEqual((rows.json.result as { value: string }[]).map((r) => r.value), ["hello"]);
  });

  it("throttles with 429, Retry-After, the rate-limit headers and the documented envelope", async () => {
    fake.throttle(1, { retryAfterSeconds: 7 });
    const throttled = await get("/api/now/v2/table/incident");
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get("retry-after"), "7");
    assert.ok(throttled.headers.get("x-ratelimit-reset") !== null);
    assert.deepEqual(throttled.json, { error: { message: "Rate limit exceeded", detail: "Rate limit of 100 requests per hour for Table API exceeded" }, status: "failure" });
    assert.equal((await get("/api/now/v2/table/incident")).status, 200);
  });

  it("refuses unknown credentials and query terms it does not model", async () => {
    const response = await fetch(`${fake.instanceUrl}/api/now/v2/table/incident`, { headers: { accept: "application/json" } });
    assert.equal(response.status, 401);
    assert.equal((await get("/api/now/v2/table/incident?sysparm_query=numberIN1,2")).status, 400);
  });
});
