import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { pino } from "pino";
import { buildApp } from "../../src/http/build-app.js";
import { errorView } from "../../src/http/api-schemas.js";
import { installErrorHandling } from "../../src/http/error-handler.js";
import { installRateLimit } from "../../src/http/rate-limit.js";
import { createSharedRequestCounter } from "../../src/services/request-counters.js";
import { openDatabase } from "../../src/store/connect.js";
import { createFakeClock } from "../helpers/clock.js";
import { captureLogs } from "../helpers/logs.js";
import { freePort } from "../helpers/net.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

/**
 * One instance on SQLite: the request limits are counted in memory, as before issue 13's shared
 * counts, and cost the database nothing.
 */
describe("HTTP request limits on one instance (SQLite)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const open = async (server: Record<string, unknown>): Promise<{ t: TestRuntime; app: FastifyInstance }> => {
    const t = await createTestRuntime({ clock: createFakeClock(new Date("2026-11-23T09:00:15.000Z")), overrides: { ...ROOMY_LIMITS, server } });
    const app = await buildApp(t.runtime);
    cleanups.push(async () => {
      await app.close();
      await t.close();
    });
    return { t, app };
  };

  it("allows the limit per client and minute, refuses the next with RATE_LIMITED and Retry-After, and starts afresh next minute", async () => {
    const { t, app } = await open({ requestsPerMinute: 3 });
    const get = (remoteAddress: string) => app.inject({ method: "GET", url: "/api/openapi.json", remoteAddress });
    const first = await get("203.0.113.7");
    assert.equal(first.headers["ratelimit-limit"], "3");
    assert.equal(first.headers["ratelimit-remaining"], "2");
    assert.deepEqual([(await get("203.0.113.7")).statusCode, (await get("203.0.113.7")).statusCode], [200, 200]);
    const refused = await get("203.0.113.7");
    assert.equal(refused.statusCode, 429);
    assert.equal(errorView.parse(refused.json()).code, "RATE_LIMITED");
    assert.equal(refused.headers["retry-after"], "45", "09:00:15 → the window ends at 09:01:00");
    assert.equal((await get("198.51.100.9")).statusCode, 200, "another address has its own bucket");
    t.clock.advance(45_000);
    assert.equal((await get("203.0.113.7")).statusCode, 200, "a new window");

    assert.equal(t.runtime.requestCounter.shared, false);
    const rows = await t.runtime.database.db.selectFrom("rate_limit_windows").select("key").execute();
    assert.deepEqual(rows, [], "nothing written: SQLite means one instance, counted in memory");
  });

  it("clears ended windows from memory when asked by the sweep", async () => {
    const { t, app } = await open({ requestsPerMinute: 100 });
    await app.inject({ method: "GET", url: "/api/openapi.json", remoteAddress: "203.0.113.7" });
    const now = t.clock.now().getTime();
    assert.equal(await t.runtime.requestCounter.forgetBefore(now - (now % 60_000)), 0, "the current window stays");
    assert.equal(await t.runtime.requestCounter.forgetBefore(now + 60_000), 1);
  });

  it("with the shared counts' PostgreSQL down, counts on its own instead of failing every request", async () => {
    // Nothing listens on this port: every connection is refused, as when the database is down.
    const down = openDatabase(`postgres://verity@127.0.0.1:${await freePort()}/verity`);
    const { stream, lines } = captureLogs();
    const logger: FastifyBaseLogger = pino({ level: "warn" }, stream);
    const app: FastifyInstance = Fastify({ loggerInstance: logger });
    cleanups.push(async () => {
      await app.close();
      await down.close();
    });
    installErrorHandling(app, { audit: { append: () => Promise.reject(new Error("no audit here")) } });
    installRateLimit(app, {
      perMinute: 2,
      webhookPerMinute: 2,
      clock: createFakeClock(),
      counter: createSharedRequestCounter({ db: down.db, key: Buffer.alloc(32, 7) }),
      log: app.log,
      tokens: { authenticate: () => Promise.resolve(null) },
      sessions: { resolve: () => Promise.resolve(null) },
      links: { check: () => false },
    });
    app.get("/ping", () => ({ ok: true }));
    await app.ready();
    const statuses: number[] = [];
    for (let n = 0; n < 3; n += 1) statuses.push((await app.inject({ method: "GET", url: "/ping", remoteAddress: "203.0.113.7" })).statusCode);
    assert.deepEqual(statuses, [200, 200, 429], "still answered, still limited (per instance), never a 500");
    assert.equal(lines.filter((l) => l.includes("shared request limits cannot be reached")).length, 1, "said once, not per request");
  });
});
