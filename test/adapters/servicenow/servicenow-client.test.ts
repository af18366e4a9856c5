import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createFakeClock } from "../../helpers/clock.js";
import { startFakeServiceNow, type FakeSnow } from "../../fakes/servicenow/fake-servicenow.js";
import { rejectsWith, SNOW_OAUTH, SNOW_USER, snowClient, snowWorld, USERS } from "./snow-test-setup.js";

const TICKETS = { jane: "INC0010001", sam: "INC0010002", priya: "SCTASK0010003" } as const;
const JANE_INC = () => ({ number: TICKETS.jane });

describe("ServiceNow client: authentication", () => {
  const fakes: FakeSnow[] = [];
  const start = async (options: Parameters<typeof startFakeServiceNow>[0] = {}) => {
    const fake = await startFakeServiceNow({ tables: snowWorld(TICKETS), ...options });
    fakes.push(fake);
    return fake;
  };
  after(() => Promise.all(fakes.map((f) => f.close())));

  it("sends Basic credentials and never asks for a token", async () => {
    const fake = await start();
    const { client } = snowClient(fake);
    assert.equal((await client.findTask("incident", JANE_INC()))?.callerId, USERS.jane.sys_id);
    assert.deepEqual(fake.tokenRequests, []);
    assert.ok(fake.requests.every((r) => r.auth === "basic"));
  });

  it("caches an OAuth token until shortly before expires_in, then fetches a new one", async () => {
    const clock = createFakeClock();
    const fake = await start({ now: () => clock.now().getTime(), tokenLifetimeSeconds: 1799 });
    const { client } = snowClient(fake, { auth: { kind: "oauth", ...SNOW_OAUTH } }, clock);
    await Promise.all([client.findTask("incident", JANE_INC()), client.findTask("incident", { number: TICKETS.sam })]);
    await client.findUser({ userName: "jane.doe" });
    assert.deepEqual(fake.tokenRequests, ["client_credentials"], "one token for concurrent and later calls");
    clock.advance(1799_000 - 61_000);
    await client.findUser({ userName: "jane.doe" });
    assert.equal(fake.tokenRequests.length, 1, "still inside the lifetime less a minute");
    clock.advance(2_000);
    await client.findUser({ userName: "jane.doe" });
    assert.equal(fake.tokenRequests.length, 2, "renewed shortly before expiry");
    assert.ok(fake.requests.filter((r) => r.path.startsWith("/api/")).every((r) => r.auth === "bearer"));
  });

  it("fetches a new token once when ServiceNow refuses the cached one, then carries on", async () => {
    const fake = await start();
    const { client, logs } = snowClient(fake, { auth: { kind: "oauth", ...SNOW_OAUTH } });
    await client.findTask("incident", JANE_INC());
    fake.revokeTokens();
    assert.equal((await client.findTask("incident", JANE_INC()))?.number, TICKETS.jane);
    assert.equal(fake.tokenRequests.length, 2);
    assert.ok(logs.some((l) => l.includes("refused the access token")));
    assert.ok(!logs.some((l) => l.includes(SNOW_OAUTH.clientSecret)), "the secret is never logged");
  });

  it("uses the password grant with the integration user's credentials", async () => {
    const fake = await start();
    const { client } = snowClient(fake, { auth: { kind: "oauth", ...SNOW_OAUTH, grant: "password", ...SNOW_USER } });
    assert.notEqual(await client.findTask("incident", JANE_INC()), null);
    assert.deepEqual(fake.tokenRequests, ["password"]);
  });

  it("explains a refused client_credentials grant (the instance property is off by default)", async () => {
    const fake = await start({ clientCredentialsEnabled: false });
    const { client } = snowClient(fake, { auth: { kind: "oauth", ...SNOW_OAUTH } });
    const error = await rejectsWith(client.findTask("incident", JANE_INC()), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
    assert.ok(!error.message.includes(SNOW_OAUTH.clientSecret));
  });

  it("maps a 401 for Basic credentials to UPSTREAM_AUTH_FAILED without retrying", async () => {
    const fake = await start();
    const { client } = snowClient(fake, { auth: { kind: "basic", username: SNOW_USER.username, password: "wrong-password" } });
    const error = await rejectsWith(client.findTask("incident", JANE_INC()), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /User Not Authenticated/);
    assert.equal(fake.count("GET", "/api/"), 1);
  });
});

describe("ServiceNow client: errors and rate limits", () => {
  let fake: FakeSnow;
  const fresh = async () => {
    await fake?.close();
    fake = await startFakeServiceNow({ tables: snowWorld(TICKETS) });
    return fake;
  };
  after(() => fake.close());

  it("honours 429 Retry-After from a rate limit rule and then succeeds", async () => {
    await fresh();
    fake.throttle(1, { path: "/api/now/v2/table/incident", retryAfterSeconds: 1 });
    const { client } = snowClient(fake);
    const started = Date.now();
    assert.equal((await client.findTask("incident", JANE_INC()))?.number, TICKETS.jane);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.deepEqual(fake.requests.map((r) => r.outcome), [429, 200]);
  });

  it("gives up on a Retry-After longer than it may wait, as TICKETING_UNAVAILABLE naming the wait and the envelope", async () => {
    await fresh();
    fake.throttle(5, { retryAfterSeconds: 3600 });
    const { client } = snowClient(fake);
    const error = await rejectsWith(client.findTask("incident", JANE_INC()), "TICKETING_UNAVAILABLE");
    assert.equal(error.retryAfterSeconds, 3600);
    assert.match(error.message, /Rate limit exceeded: Rate limit of 100 requests per hour/);
    assert.equal(fake.requests.length, 1);
  });

  it("retries a work note on 429 (nothing was written) but never after a 503", async () => {
    await fresh();
    const { client } = snowClient(fake);
    const inc = await client.findTask("incident", JANE_INC());
    fake.throttle(1, { method: "PATCH" });
    await client.addWorkNote("incident", inc?.sysId ?? "", "first");
    assert.equal(fake.journal(inc?.sysId ?? "").length, 1);
    fake.fail("down", { method: "PATCH" });
    const error = await rejectsWith(client.addWorkNote("incident", inc?.sysId ?? "", "second"), "TICKETING_UNAVAILABLE");
    assert.equal((error.details as { ambiguous?: boolean }).ambiguous, true, "a 5xx may have written it");
    assert.equal(fake.count("PATCH", "/api/"), 3);
  });

  it("reports a note whose answer never came as ambiguous", async () => {
    await fresh();
    const { client } = snowClient(fake, { timeoutMs: 300 });
    const inc = await client.findTask("incident", JANE_INC());
    fake.fail("hang", { method: "PATCH" });
    const error = await rejectsWith(client.addWorkNote("incident", inc?.sysId ?? "", "lost?"), "TICKETING_UNAVAILABLE");
    assert.equal((error.details as { ambiguous?: boolean }).ambiguous, true);
    assert.equal(fake.journal(inc?.sysId ?? "").length, 1, "the fake did write it");
    assert.equal(fake.count("PATCH", "/api/"), 1, "never repeated");
  });

  it("maps an ACL refusal (403) to UPSTREAM_AUTH_FAILED naming what to grant", async () => {
    await fresh();
    const { client } = snowClient(fake);
    const inc = await client.findTask("incident", JANE_INC());
    fake.fail("forbidden", { method: "PATCH" });
    const error = await rejectsWith(client.addWorkNote("incident", inc?.sysId ?? "", "x"), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /incident\.work_notes/);
    assert.match(error.message, /ACL Exception/);
    assert.equal((error.details as { ambiguous?: boolean }).ambiguous, false);
  });

  it("maps a deleted record (404 by sys_id) on a note to TICKET_NOT_FOUND, and a read to null", async () => {
    await fresh();
    const { client } = snowClient(fake);
    const gone = "0123456789abcdef0123456789abcdef";
    assert.equal(await client.findTask("incident", { sysId: gone }), null);
    await rejectsWith(client.addWorkNote("incident", gone, "x"), "TICKET_NOT_FOUND");
  });

  it("refuses query syntax in a number or user name instead of sending it", async () => {
    await fresh();
    const { client } = snowClient(fake);
    await rejectsWith(client.findTask("incident", { number: "INC0010001^ORnumberISNOTEMPTY" }), "VALIDATION_FAILED");
    assert.equal(await client.findUser({ userName: "x^ORuser_nameISNOTEMPTY" }), null);
    assert.equal(fake.requests.length, 0);
  });

  it("probes by reading one row of each table and of sys_user, and says when the journal is unreadable, writing nothing", async () => {
    await fresh();
    const { client } = snowClient(fake);
    const ok = await client.probe();
    assert.equal(ok.ok, true, ok.detail);
    assert.deepEqual(fake.requests.map((r) => r.path), ["/api/now/v2/table/incident", "/api/now/v2/table/sc_task", "/api/now/v2/table/sys_user", "/api/now/v2/table/sys_journal_field"]);
    assert.ok(fake.requests.every((r) => r.method === "GET"));
    assert.ok(!ok.detail.includes("cannot read sys_journal_field"));
    fake.fail("forbidden", { path: "/api/now/v2/table/sys_journal_field" });
    const noJournal = await client.probe();
    assert.equal(noJournal.ok, true, "notes still work without it");
    assert.match(noJournal.detail, /cannot read sys_journal_field \(HTTP 403\).*may post it twice/);
    fake.heal();
    fake.fail("forbidden", { path: "/api/now/v2/table/sc_task" });
    const refused = await client.probe();
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /read access to sc_task/);
  });
});
