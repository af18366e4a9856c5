import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { createOutboundClient } from "../../src/adapters/http/outbound.js";
import { buildApp } from "../../src/http/build-app.js";
import { startMetricsListener } from "../../src/http/routes/metrics.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const TOKEN = "metrics-token-0123456789-abcdefghij";

/** Issue 13: Prometheus metrics, behind a token or on a listener of their own, with nobody's data in them. */
describe("/metrics", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    t = await createTestRuntime({ overrides: { ...ROOMY_LIMITS, server: { metrics: { token: TOKEN } } } });
    app = await buildApp(t.runtime);
  });
  after(async () => {
    await app.close();
    await t.close();
  });
  const scrape = (token?: string) => app.inject({ method: "GET", url: "/metrics", headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it("refuses a scrape without the token, or with another one", async () => {
    for (const token of [undefined, "wrong", `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const answer = await scrape(token);
      assert.equal(answer.statusCode, 401, String(token));
      assert.equal(answer.json<{ code: string }>().code, "UNAUTHENTICATED");
    }
  });

  it("counts verifications by method and outcome, requests by route pattern, and upstream calls, naming nobody", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms" });
    await t.runtime.engine.check(t.technician, v.id, await t.codeSentTo(TEST_USERS.jane.mobile));
    await app.inject({ method: "GET", url: `/api/v1/verifications/${v.id}` });
    const upstream = createServer((_request, response) => response.end("ok"));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const client = createOutboundClient({ name: "Test upstream" });
    await client.request({ method: "GET", url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`, retry: "none" });
    await client.close();
    upstream.close();

    await t.runtime.queue.enqueue(t.runtime.database.db, "metrics.example", {});
    const answer = await scrape(TOKEN);
    assert.equal(answer.statusCode, 200);
    assert.match(answer.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
    const body = answer.body;
    assert.match(body, /^verity_verifications_started_total\{method="sms"\} 1$/m);
    assert.match(body, /^verity_verifications_completed_total\{method="sms",outcome="verified"\} 1$/m);
    assert.match(body, /^verity_http_request_duration_seconds_count\{route="\/api\/v1\/verifications\/:id",method="GET",status="4xx"\} 1$/m);
    assert.match(body, /^verity_upstream_request_duration_seconds_count\{service="Test upstream",status="2xx"\} 1$/m);
    assert.match(body, /^verity_job_queue_depth\{kind="metrics.example"\} 1$/m);
    assert.match(body, /^verity_process_cpu_user_seconds_total/m);
    for (const secret of [TEST_USERS.jane.upn, TEST_USERS.jane.mobile, v.id, TOKEN]) assert.ok(!body.includes(secret), `the metrics hold ${secret}`);
  });

  it("shows an upstream's breaker open during its outage, the calls it refused, and closed again once a probe succeeds", async () => {
    let down = true;
    let requests = 0;
    const upstream = createServer((_request, response) => {
      requests += 1;
      response.statusCode = down ? 503 : 200;
      response.end(down ? "down" : "ok");
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    let now = Date.parse("2026-12-07T09:00:00Z");
    const client = createOutboundClient({ name: "Flaky upstream", now: () => now, maxRetries: 0 });
    const call = () => client.request({ method: "GET", url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`, retry: "idempotent" });
    const state = async () => /^verity_upstream_breaker_state\{service="Flaky upstream"\} (\d)$/m.exec((await scrape(TOKEN)).body)?.[1];
    try {
      assert.equal(await state(), "0", "closed before the outage");
      for (let i = 0; i < 5; i += 1) assert.equal((await call()).status, 503);
      assert.equal(await state(), "2", "open after five outages");
      await assert.rejects(call(), (e: Error) => e.name === "CircuitOpenError");
      await assert.rejects(call(), (e: Error) => e.name === "CircuitOpenError");
      assert.equal(requests, 5, "the refused calls never reached the upstream");
      const body = (await scrape(TOKEN)).body;
      assert.match(body, /^verity_upstream_breaker_refused_total\{service="Flaky upstream"\} 2$/m);
      assert.match(body, /^verity_upstream_breaker_opened_total\{service="Flaky upstream"\} 1$/m);
      assert.match(body, /^# HELP verity_upstream_breaker_state .*0 closed, 1 half-open .*2 open/m);
      now += 30_000;
      assert.equal(await state(), "1", "half-open once the open time has run out");
      down = false;
      assert.equal((await call()).status, 200);
      assert.equal(await state(), "0", "closed after the probe succeeded");
    } finally {
      await client.close();
      upstream.close();
    }
    assert.equal(await state(), undefined, "a closed client is no longer shown");
  });

  it("serves only /metrics on a listener of its own, behind the token when one is set", async () => {
    const metrics = t.runtime.metrics;
    assert.ok(metrics !== undefined);
    const listener = await startMetricsListener({ metrics, host: "127.0.0.1", port: 0, token: TOKEN });
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      assert.equal((await fetch(`${base}/api/v1/verifications`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /verity_build_info\{version="/);
    } finally {
      listener.closeAllConnections();
      listener.close();
    }
  });
});

describe("/metrics when not configured", () => {
  it("does not exist", async () => {
    const t = await createTestRuntime();
    const app = await buildApp(t.runtime);
    try {
      assert.equal(t.runtime.metrics, undefined);
      assert.equal((await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 404);
    } finally {
      await app.close();
      await t.close();
    }
  });
});
