import assert from "node:assert/strict";
import { after, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { sql } from "kysely";
import { buildApp } from "../../src/http/build-app.js";
import { errorView } from "../../src/http/api-schemas.js";
import { createFakeClock } from "../helpers/clock.js";
import { testPostgres } from "../helpers/postgres.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Issue 13: the HTTP request limits (`server.requestsPerMinute`) hold across instances on one
 * PostgreSQL. Two instances with their own connections and apps, one database, one clock; the
 * requests alternate between them as a balancer would send them.
 */
const postgres = await testPostgres();
const skip = "skip" in postgres ? postgres.skip : false;
const root = { id: "cli:test", name: "test", role: "admin" as const, tenants: null };
const CLIENT = "203.0.113.7";
const OTHER = "198.51.100.9";

interface Instance {
  readonly t: TestRuntime;
  readonly app: FastifyInstance;
}

describeUnless("HTTP request limits shared by instances on one PostgreSQL", skip, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  /** Two instances on a new database; `server` merged into their configuration. */
  const twoInstances = async (server: Record<string, unknown>): Promise<{ a: Instance; b: Instance; clock: ReturnType<typeof createFakeClock> }> => {
    if ("skip" in postgres) throw new Error(postgres.skip);
    const url = await postgres.createDatabase();
    const clock = createFakeClock(new Date("2026-11-23T09:00:10.000Z"));
    const open = async (): Promise<Instance> => {
      const t = await createTestRuntime({ databaseUrl: url, clock, overrides: { ...ROOMY_LIMITS, server } });
      const app = await buildApp(t.runtime);
      cleanups.push(async () => {
        await app.close();
        await t.close();
      });
      return { t, app };
    };
    return { a: await open(), b: await open(), clock };
  };
  const get = (i: Instance, remoteAddress: string, headers: Record<string, string> = {}) =>
    i.app.inject({ method: "GET", url: "/api/openapi.json", remoteAddress, headers });
  const codeOf = (r: LightMyRequestResponse) => errorView.parse(r.json()).code;

  it("counts one client's requests on both instances together; the (limit+1)th is refused on either with Retry-After", async () => {
    const { a, b, clock } = await twoInstances({ requestsPerMinute: 4 });
    const statuses: number[] = [];
    for (const i of [a, b, a, b]) statuses.push((await get(i, CLIENT)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    const refused = await get(a, CLIENT);
    assert.equal(refused.statusCode, 429, "two requests on each instance spent the four allowed");
    assert.equal(codeOf(refused), "RATE_LIMITED");
    assert.equal(refused.headers["retry-after"], "50", "the window ends at 09:01:00; it is 09:00:10");
    assert.equal(refused.headers["ratelimit-remaining"], "0");
    assert.equal((await get(b, CLIENT)).statusCode, 429, "and on the other instance");

    assert.deepEqual([(await get(a, OTHER)).statusCode, (await get(b, OTHER)).statusCode], [200, 200], "another client has its own bucket");

    clock.advance(50_000);
    assert.deepEqual([(await get(b, CLIENT)).statusCode, (await get(a, CLIENT)).statusCode], [200, 200], "a new minute, a new window");
    const remaining = (await get(a, CLIENT)).headers["ratelimit-remaining"];
    assert.equal(remaining, "1", "three of four spent in the new window, across both");

    const persistence = await sql<{ relpersistence: string }>`select relpersistence from pg_class where relname = 'rate_limit_windows'`.execute(a.t.runtime.database.db);
    assert.equal(persistence.rows[0]?.relpersistence, "u", "unlogged: a count per request waits for no WAL flush");
    const keys = (await sql<{ key: string }>`select key from rate_limit_windows`.execute(a.t.runtime.database.db)).rows.map((r) => r.key);
    assert.ok(keys.length >= 3, keys.join(", "));
    for (const key of keys) {
      assert.match(key, /^addr:[A-Za-z0-9_-]{43}$/, "a bucket kind and a keyed hash");
      assert.ok(!key.includes("203.0.113") && !key.includes("198.51.100"), "no client address in clear");
    }
  });

  it("never lets more than the limit through across both instances, even from 100 parallel requests (SECURITY.md R10)", async () => {
    const { a, b } = await twoInstances({ requestsPerMinute: 30 });
    const responses = await Promise.all(Array.from({ length: 100 }, (_, n) => get(n % 2 === 0 ? a : b, CLIENT)));
    const ok = responses.filter((r) => r.statusCode === 200).length;
    const limited = responses.filter((r) => r.statusCode === 429 && codeOf(r) === "RATE_LIMITED").length;
    assert.equal(ok, 30);
    assert.equal(limited, 70);
    const counted = async () => (await a.t.runtime.database.db.selectFrom("rate_limit_windows").select(["count"]).execute()).map((r) => Number(r.count));
    const stored = await counted();
    assert.equal(stored.length, 1, "one row for the client's minute");
    assert.ok((stored[0] ?? 0) <= 60, `each instance asks the database at most the limit's number of times per client and minute (count ${stored[0]})`);
    for (const i of [a, b, a, b]) assert.equal((await get(i, CLIENT)).statusCode, 429);
    assert.deepEqual(await counted(), stored, "a client already over its limit is refused without a database write");
  });

  it("counts a token's requests across instances apart from its address, so an anonymous flood from there cannot lock it out", async () => {
    const { a, b } = await twoInstances({ requestsPerMinute: 3 });
    const token = (await a.t.runtime.tokens.create({ name: "Tess", role: "technician", tenants: null }, root)).token;
    const bearer = { authorization: `Bearer ${token}` };
    for (const i of [a, b, a, b]) await get(i, CLIENT);
    assert.equal((await get(b, CLIENT)).statusCode, 429, "the address is spent");
    const withToken = [await get(a, CLIENT, bearer), await get(b, CLIENT, bearer), await get(a, CLIENT, bearer)];
    assert.deepEqual(withToken.map((r) => r.statusCode), [200, 200, 200]);
    const spent = await get(b, CLIENT, bearer);
    assert.equal(spent.statusCode, 429, "the token's own three are spent on the two instances together");
    assert.equal(codeOf(spent), "RATE_LIMITED");
  });

  it("keeps the webhook source-address limit in each instance's memory: a flood of refused deliveries writes nothing", async () => {
    const { a, b } = await twoInstances({ requestsPerMinute: 100, webhookRequestsPerMinute: 2 });
    const hook = (i: Instance) => i.app.inject({ method: "POST", url: "/hooks/halopsa", remoteAddress: CLIENT, headers: { "content-type": "application/json" }, payload: "[]" });
    const onA = [await hook(a), await hook(a), await hook(a)].map((r) => r.statusCode);
    assert.notEqual(onA[0], 429);
    assert.notEqual(onA[1], 429);
    assert.equal(onA[2], 429, "limited on the instance that saw them");
    assert.notEqual((await hook(b)).statusCode, 429, "the other instance counts its own (first line of defence, per instance by design)");
    const rows = await a.t.runtime.database.db.selectFrom("rate_limit_windows").select("key").execute();
    assert.deepEqual(rows, [], "no webhook request touched the shared counts");
  });

  it("falls back to each instance's own count when the shared counts cannot be reached, instead of failing requests", async () => {
    const { a, b } = await twoInstances({ requestsPerMinute: 3 });
    await sql`alter table rate_limit_windows rename to rate_limit_windows_gone`.execute(a.t.runtime.database.db);
    const onA = [];
    for (let n = 0; n < 4; n += 1) onA.push((await get(a, CLIENT)).statusCode);
    assert.deepEqual(onA, [200, 200, 200, 429], "a counts on its own: the limit still holds per instance, no 500");
    assert.equal((await get(b, CLIENT)).statusCode, 200, "b counts its own too");
    assert.equal(a.t.logs.filter((l) => l.includes("shared request limits cannot be reached")).length, 1, "one warning a minute, not one per request");
    await sql`alter table rate_limit_windows_gone rename to rate_limit_windows`.execute(a.t.runtime.database.db);
    assert.equal((await get(b, CLIENT)).statusCode, 200);
    assert.equal((await get(b, CLIENT)).statusCode, 200);
    assert.equal((await get(b, CLIENT)).statusCode, 429, "shared again once the table is back (b's own count had reached 4 by then)");
  });

  it("the background sweep's clean-up drops windows older than the previous minute, on every instance's database alike", async () => {
    const { a, b, clock } = await twoInstances({ requestsPerMinute: 10 });
    await get(a, CLIENT);
    clock.advance(60_000);
    await get(b, CLIENT);
    clock.advance(60_000);
    await get(a, CLIENT);
    const now = clock.now().getTime();
    const minute = now - (now % 60_000);
    assert.equal(await b.t.runtime.requestCounter.forgetBefore(minute - 60_000), 1, "the window two minutes back");
    const left = await a.t.runtime.database.db.selectFrom("rate_limit_windows").select("window_start").orderBy("window_start").execute();
    assert.deepEqual(left.map((r) => Number(r.window_start)), [minute - 60_000, minute]);
  });
});
