import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { parseConfig } from "../../src/config/load.js";
import { buildApp } from "../../src/http/build-app.js";
import { errorView } from "../../src/http/api-schemas.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { listen } from "../helpers/server.js";
import { createTestRuntime, ROOMY_LIMITS, testConfig, type TestRuntime } from "../helpers/runtime.js";

const root = { id: "cli:test", name: "test", role: "admin" as const, tenants: null };

/** Issue 9 #6, #7, #10, #11, #13 and #15: the HTTP edge holds against an attacker on the same network. */
describe("HTTP hardening", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const open = async (options: Parameters<typeof createTestRuntime>[0] = {}): Promise<{ t: TestRuntime; app: FastifyInstance }> => {
    const t = await createTestRuntime(options);
    const app = await buildApp(t.runtime);
    cleanups.push(async () => {
      await app.close();
      await t.close();
    });
    return { t, app };
  };

  it("#6: refuses trustProxy: true with what to write instead", () => {
    assert.throws(
      () => parseConfig(testConfig("/tmp/x", { server: { trustProxy: true } }), { env: {}, baseDir: "/tmp/x", source: "test", demo: false }),
      (e: { details?: { path: string; message: string }[] }) =>
        e.details?.some((p) => p.path === "server.trustProxy" && /forged header.*list your proxies' addresses/.test(p.message)) === true,
    );
  });

  it("#6: believes X-Forwarded-For only from a named proxy (or the configured hops)", async () => {
    for (const trustProxy of [["10.9.9.9"], ["10.9.0.0/16"], 1]) {
      const { app } = await open({ overrides: { server: { trustProxy, requestsPerMinute: 2 } } });
      const from = (remoteAddress: string, forwarded: string) =>
        app.inject({ method: "GET", url: "/api/openapi.json", remoteAddress, headers: { "x-forwarded-for": forwarded } });
      if (typeof trustProxy !== "number") {
        // A peer that is not the proxy forges a new address each time: all land in its own bucket.
        const forged = [await from("127.0.0.1", "198.51.100.1"), await from("127.0.0.1", "198.51.100.2"), await from("127.0.0.1", "198.51.100.3")];
        assert.deepEqual(forged.map((r) => r.statusCode), [200, 200, 429], `forged X-Forwarded-For escaped the limit (${JSON.stringify(trustProxy)})`);
      }
      // Through the proxy, distinct clients are told apart.
      const viaProxy = [await from("10.9.9.9", "203.0.113.1"), await from("10.9.9.9", "203.0.113.2"), await from("10.9.9.9", "203.0.113.3")];
      assert.deepEqual(viaProxy.map((r) => r.statusCode), [200, 200, 200]);
    }
  });

  it("#7: counts authenticated callers per token, so an anonymous flood from their address cannot lock them out", async () => {
    const { t, app } = await open({ overrides: { ...ROOMY_LIMITS, server: { requestsPerMinute: 5 } } });
    const token = (await t.runtime.tokens.create({ name: "Tess", role: "technician", tenants: null }, root)).token;
    for (let i = 0; i < 10; i += 1) await app.inject({ method: "GET", url: "/api/v1/verifications/00000000-0000-4000-8000-000000000000" });
    const anonymous = await app.inject({ method: "GET", url: "/api/openapi.json" });
    assert.equal(anonymous.statusCode, 429, "the address is limited");
    const badToken = await app.inject({ method: "GET", url: "/api/openapi.json", headers: { authorization: `Bearer vrt_${"x".repeat(43)}` } });
    assert.equal(badToken.statusCode, 429, "a wrong token counts against its address");
    const lookup = await app.inject({ method: "GET", url: `/api/v1/directory/users/${TEST_USERS.jane.upn}`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(lookup.statusCode, 200, lookup.body);
    const hook = await app.inject({ method: "POST", url: "/hooks/halopsa", headers: { "content-type": "application/json" }, payload: "[]" });
    assert.notEqual(hook.statusCode, 429, "webhooks have their own bucket");
  });

  it("#10: answers the router's own refusals through the error registry, with headers and the limit, never echoing the URL", async () => {
    const { app } = await open({ overrides: { server: { requestsPerMinute: 3 } } });
    const long = `/api/v1/verifications/${"a".repeat(400)}SECRETPATH`;
    const cases = [
      { url: long, status: 414, code: "URI_TOO_LONG" },
      { url: "/api/v1/directory/users/%zzSECRETPATH", status: 400, code: "BAD_URL" },
      { url: "/%E0%A4%ASECRETPATH", status: 400, code: "BAD_URL" },
    ];
    for (const c of cases) {
      const response = await app.inject({ method: "GET", url: c.url });
      assert.equal(response.statusCode, c.status, c.url);
      assert.equal(errorView.parse(response.json()).code, c.code);
      assert.ok(!response.body.includes("SECRETPATH"), "the URL is not echoed");
      assert.equal(response.headers["x-content-type-options"], "nosniff");
      assert.match(String(response.headers["content-security-policy"]), /frame-ancestors 'none'/);
      assert.ok(response.headers["ratelimit-limit"] !== undefined, "counted by the limit");
    }
    assert.equal((await app.inject({ method: "GET", url: "/%zz" })).statusCode, 429, "and refused by it once spent");
  });

  it("#11: mounts the demo phone only in the demo, and answers it only to a loopback Host", async () => {
    const { app: serveApp } = await open({ overrides: ROOMY_LIMITS });
    assert.equal((await serveApp.inject({ method: "GET", url: "/demo/phone" })).statusCode, 404, "verity serve has no demo phone");
    const { t } = await open({ overrides: ROOMY_LIMITS, demo: true });
    const { app, base } = await listen(t.runtime);
    cleanups.push(() => app.close());
    const port = new URL(base).port;
    const at = (host: string) => app.inject({ method: "GET", url: "/demo/api/inbox", remoteAddress: "127.0.0.1", headers: { host } });
    assert.equal((await at(`127.0.0.1:${port}`)).statusCode, 200);
    assert.equal((await at(`localhost:${port}`)).statusCode, 200);
    const rebound = await at(`attacker.example:${port}`);
    assert.equal(rebound.statusCode, 403, "a DNS-rebinding page's Host is refused");
    const answer = await app.inject({
      method: "POST",
      url: "/demo/api/prompts/x",
      remoteAddress: "127.0.0.1",
      headers: { host: "rebind.attacker.example", "content-type": "application/json" },
      payload: JSON.stringify({ decision: "approve" }),
    });
    assert.equal(answer.statusCode, 403);
  });

  it("#13: audits an authenticated caller's refused request with token, route and resource", async () => {
    const { t, app } = await open({ overrides: ROOMY_LIMITS });
    const alice = (await t.runtime.tokens.create({ name: "Alice", role: "technician", tenants: null }, root)).token;
    const bob = await t.runtime.tokens.create({ name: "Bob", role: "technician", tenants: null }, root);
    const started = await app.inject({
      method: "POST",
      url: "/api/v1/verifications",
      headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" },
      payload: JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" }),
    });
    const id = started.json<{ id: string }>().id;
    const refused = await app.inject({ method: "POST", url: `/api/v1/verifications/${id}/cancel`, headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json" }, payload: "{}" });
    assert.equal(refused.statusCode, 403);
    const auditor = await app.inject({ method: "GET", url: "/api/v1/audit/events", headers: { authorization: `Bearer ${bob.token}` } });
    assert.equal(auditor.statusCode, 403);
    const denied = (await listAuditEvents(t.runtime.database.db, { limit: 1000 })).filter((e) => e.action === "access.denied");
    assert.equal(denied.length, 2);
    assert.equal(denied[0]?.actor, `token:${bob.info.id}`);
    assert.equal(denied[0]?.verificationId, id);
    assert.deepEqual(denied[0]?.data, { method: "POST", route: "/api/v1/verifications/:id/cancel", by: "Bob" });
    assert.equal(denied[1]?.data?.route, "/api/v1/audit/events");
    const anonymous = await app.inject({ method: "POST", url: `/api/v1/verifications/${id}/cancel` });
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await listAuditEvents(t.runtime.database.db, { limit: 1000 })).filter((e) => e.action === "access.denied").length, 2, "anonymous refusals do not grow the chain");
  });

  it("#15: caps the event streams one token holds open", async () => {
    const { t } = await open({ overrides: { ...ROOMY_LIMITS, server: { maxStreamsPerClient: 2 } } });
    const { app, base } = await listen(t.runtime);
    cleanups.push(() => app.close());
    const token = (await t.runtime.tokens.create({ name: "Sid", role: "technician", tenants: null }, root)).token;
    const headers = { authorization: `Bearer ${token}` };
    const v = (await (await fetch(`${base}/api/v1/verifications`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" }) })).json()) as { id: string };
    const controllers = [new AbortController(), new AbortController()];
    const streams = await Promise.all(controllers.map((c) => fetch(`${base}/api/v1/verifications/${v.id}/events`, { headers, signal: c.signal })));
    assert.deepEqual(streams.map((s) => s.status), [200, 200]);
    const third = await fetch(`${base}/api/v1/verifications/${v.id}/events`, { headers });
    assert.equal(third.status, 429);
    assert.equal(((await third.json()) as { code: string }).code, "TOO_MANY_STREAMS");
    controllers[0]!.abort();
    await new Promise((r) => setTimeout(r, 100));
    const again = new AbortController();
    const reopened = await fetch(`${base}/api/v1/verifications/${v.id}/events`, { headers, signal: again.signal });
    assert.equal(reopened.status, 200, "closing one frees its place");
    again.abort();
    controllers[1]!.abort();
  });
});
