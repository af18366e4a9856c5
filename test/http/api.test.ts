import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { auditPage, chainReport, checkView, errorView, lookupView, tokenCreated, verificationView } from "../../src/http/api-schemas.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const actor = { id: "cli:test", name: "test", role: "admin" as const, tenants: null };

describe("HTTP API", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
    app = await buildApp(t.runtime);
    for (const [name, role] of [
      ["tech", "technician"],
      ["tech2", "technician"],
      ["auditor", "auditor"],
      ["admin", "admin"],
    ] as const) {
      tokens[name] = (await t.runtime.tokens.create({ name: `${name} user`, role, tenants: null }, actor)).token;
    }
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const call = (method: "GET" | "POST", url: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; payload?: string | Buffer } = {}) =>
    app.inject({
      method,
      url,
      headers: {
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      ...(options.payload === undefined ? {} : { payload: options.payload }),
    });

  const expectError = (response: LightMyRequestResponse, status: number, code: string) => {
    assert.equal(response.statusCode, status, response.body);
    const body = errorView.parse(response.json());
    assert.equal(body.code, code);
    assert.ok(!response.body.includes("    at "), "no stack trace");
    return body;
  };

  const start = async (user: string = TEST_USERS.jane.upn, token = tokens.tech) => {
    const response = await call("POST", "/api/v1/verifications", { token, body: { user, method: "sms", ticket: "1042" } });
    assert.equal(response.statusCode, 201, response.body);
    return verificationView.parse(response.json());
  };

  it("reports liveness and readiness", async () => {
    assert.deepEqual((await call("GET", "/healthz")).json(), { status: "ok" });
    assert.deepEqual((await call("GET", "/readyz")).json(), { status: "ok", checks: { database: "ok" } });
  });

  it("serves an OpenAPI 3.1 document covering every API route", async () => {
    const doc = (await call("GET", "/api/openapi.json")).json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.equal(doc.openapi, "3.1.0");
    for (const path of [
      "/api/v1/verifications",
      "/api/v1/verifications/{id}",
      "/api/v1/verifications/{id}/check",
      "/api/v1/verifications/{id}/resend",
      "/api/v1/verifications/{id}/cancel",
      "/api/v1/verifications/{id}/events",
      "/api/v1/directory/users/{idOrEmail}",
      "/api/v1/audit/events",
      "/api/v1/audit/verify",
      "/api/v1/tokens",
      "/healthz",
      "/readyz",
    ]) {
      assert.ok(path in doc.paths, `${path} is documented`);
    }
    const routes = app.printRoutes({ commonPrefix: false });
    for (const match of routes.matchAll(/(\/api\/v1\/[^\s(]+)/g)) {
      const documented = match[1]!.replace(/:([A-Za-z]+)/g, "{$1}");
      assert.ok(documented in doc.paths, `route ${documented} is documented`);
    }
  });

  it("requires a valid bearer token", async () => {
    const missing = expectError(await call("GET", "/api/v1/verifications/00000000-0000-4000-8000-000000000000"), 401, "UNAUTHENTICATED");
    assert.match(missing.message, /bearer token/);
    const response = await call("POST", "/api/v1/verifications", { token: "vrt_wrongwrongwrongwrongwrongwrongwrongwrongwro", body: {} });
    expectError(response, 401, "UNAUTHENTICATED");
    assert.match(String(response.headers["www-authenticate"]), /^Bearer/);
    expectError(await call("GET", "/api/v1/audit/events", { headers: { authorization: "Basic abc" } }), 401, "UNAUTHENTICATED");
  });

  it("runs a verification end to end, with responses that match the documented schemas", async () => {
    const started = await start();
    assert.equal(started.state, "sent");
    assert.equal(started.destination, "+44 ••••• ••0001");
    const got = verificationView.parse((await call("GET", `/api/v1/verifications/${started.id}`, { token: tokens.tech })).json());
    assert.equal(got.id, started.id);
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    const wrong = checkView.parse(
      (await call("POST", `/api/v1/verifications/${started.id}/check`, { token: tokens.tech, body: { code: code === "000000" ? "111111" : "000000" } })).json(),
    );
    assert.deepEqual([wrong.outcome, wrong.attemptsRemaining], ["incorrect", 4]);
    const right = checkView.parse((await call("POST", `/api/v1/verifications/${started.id}/check`, { token: tokens.tech, body: { code } })).json());
    assert.equal(right.outcome, "verified");
    const again = await call("POST", `/api/v1/verifications/${started.id}/check`, { token: tokens.tech, body: { code } });
    expectError(again, 409, "CODE_ALREADY_USED");
  });

  it("resends and cancels", async () => {
    const v = await start(TEST_USERS.chris.upn);
    const resent = verificationView.parse((await call("POST", `/api/v1/verifications/${v.id}/resend`, { token: tokens.tech })).json());
    assert.equal(resent.sends, 2);
    const cancelled = verificationView.parse(
      (await call("POST", `/api/v1/verifications/${v.id}/cancel`, { token: tokens.tech, body: { reason: "caller hung up" } })).json(),
    );
    assert.deepEqual([cancelled.state, cancelled.stateReason], ["cancelled", "caller hung up"]);
    expectError(await call("POST", `/api/v1/verifications/${v.id}/cancel`, { token: tokens.tech }), 409, "VERIFICATION_NOT_PENDING");
  });

  it("answers 404 for unknown and malformed ids", async () => {
    expectError(await call("GET", "/api/v1/verifications/00000000-0000-4000-8000-000000000000", { token: tokens.tech }), 404, "VERIFICATION_NOT_FOUND");
    expectError(await call("GET", "/api/v1/verifications/not-a-uuid' OR 1=1", { token: tokens.tech }), 404, "VERIFICATION_NOT_FOUND");
    expectError(await call("GET", "/api/v1/nowhere", { token: tokens.tech }), 404, "NOT_FOUND");
  });

  it("refuses bad bodies with typed 4xx errors", async () => {
    const post = (payload: string | Buffer, contentType = "application/json") =>
      call("POST", "/api/v1/verifications", { token: tokens.tech, headers: { "content-type": contentType }, payload });
    expectError(await post("user=jane", "application/x-www-form-urlencoded"), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectError(await post('{"user":"jane"}', "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectError(await post("{not json"), 400, "INVALID_JSON");
    expectError(await post(""), 400, "INVALID_JSON");
    expectError(await post('{"user":"a","method":"sms","__proto__":{"admin":true}}'), 400, "INVALID_JSON");
    expectError(await post('{"constructor":{"prototype":{"x":1}}}'), 400, "INVALID_JSON");
    expectError(await post(`${"[".repeat(10_000)}${"]".repeat(10_000)}`), 400, "INVALID_JSON");
    expectError(await post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400, "INVALID_JSON");
    expectError(await post(JSON.stringify({ user: "x".repeat(70_000) })), 413, "PAYLOAD_TOO_LARGE");
    const missing = expectError(await post("{}"), 422, "VALIDATION_FAILED");
    assert.ok(Array.isArray(missing.details));
    expectError(await post(JSON.stringify({ user: "jane@acme.test", method: "sms", extra: 1 })), 422, "VALIDATION_FAILED");
    expectError(await post(JSON.stringify({ user: "jane@acme.test", method: "sms", ticket: "1042\r\nInjected: yes" })), 422, "VALIDATION_FAILED");
    expectError(await post(JSON.stringify({ user: "jane@acme.test", method: "SMS; DROP TABLE" })), 422, "VALIDATION_FAILED");
    assert.equal(({} as Record<string, unknown>).admin, undefined, "no prototype pollution");
  });

  it("refuses malformed codes without spending a check", async () => {
    const v = await start(TEST_USERS.chris.upn);
    const check = (body: unknown) => call("POST", `/api/v1/verifications/${v.id}/check`, { token: tokens.tech, body });
    expectError(await check({ code: "12345" }), 422, "INVALID_CODE_FORMAT");
    expectError(await check({ code: "１２３４５６" }), 422, "INVALID_CODE_FORMAT");
    expectError(await check({ code: 123456 }), 422, "VALIDATION_FAILED");
    expectError(await check({ code: null }), 422, "VALIDATION_FAILED");
    expectError(await check({ code: ["123456"] }), 422, "VALIDATION_FAILED");
    expectError(await check({}), 422, "VALIDATION_FAILED");
    const view = verificationView.parse((await call("GET", `/api/v1/verifications/${v.id}`, { token: tokens.tech })).json());
    assert.equal(view.checks.used, 0);
  });

  it("enforces roles and ownership", async () => {
    const v = await start();
    expectError(await call("GET", `/api/v1/verifications/${v.id}`, { token: tokens.tech2 }), 403, "FORBIDDEN");
    expectError(await call("POST", `/api/v1/verifications/${v.id}/cancel`, { token: tokens.tech2 }), 403, "FORBIDDEN");
    expectError(await call("POST", "/api/v1/verifications", { token: tokens.auditor, body: { user: "jane@acme.test", method: "sms" } }), 403, "FORBIDDEN");
    assert.equal((await call("GET", `/api/v1/verifications/${v.id}`, { token: tokens.auditor })).statusCode, 200);
    expectError(await call("GET", "/api/v1/audit/events", { token: tokens.tech }), 403, "FORBIDDEN");
    expectError(await call("POST", "/api/v1/tokens", { token: tokens.tech, body: { name: "x", role: "admin" } }), 403, "FORBIDDEN");
    assert.ok(t.logs.some((l) => l.includes('"msg":"forbidden"')), "refusals are logged");
  });

  it("looks users up with masked factors", async () => {
    const response = await call("GET", "/api/v1/directory/users/jane%40acme.test", { token: tokens.tech });
    const view = lookupView.parse(response.json());
    assert.deepEqual(view.factors.map((f) => f.destination), ["+44 ••••• ••0001", "j•••@m•••.test"]);
    expectError(await call("GET", "/api/v1/directory/users/ghost%40acme.test", { token: tokens.tech }), 404, "USER_NOT_FOUND");
  });

  it("gives auditors the chained log and its verification", async () => {
    const page = auditPage.parse((await call("GET", "/api/v1/audit/events?limit=5", { token: tokens.auditor })).json());
    assert.equal(page.events.length, 5);
    assert.equal(page.nextAfterSeq, page.events[4]?.seq);
    const next = auditPage.parse((await call("GET", `/api/v1/audit/events?limit=5&afterSeq=${page.nextAfterSeq}`, { token: tokens.auditor })).json());
    assert.equal(next.events[0]?.seq, (page.nextAfterSeq ?? 0) + 1);
    const report = chainReport.parse((await call("GET", "/api/v1/audit/verify", { token: tokens.auditor })).json());
    assert.equal(report.ok, true);
    expectError(await call("GET", "/api/v1/audit/events?since=yesterday", { token: tokens.auditor }), 422, "VALIDATION_FAILED");
  });

  it("creates tokens for admins and shows the secret once", async () => {
    const response = await call("POST", "/api/v1/tokens", { token: tokens.admin, body: { name: "Halo integration", role: "admin", tenants: ["acme"] } });
    assert.equal(response.statusCode, 201);
    const created = tokenCreated.parse(response.json());
    assert.match(created.token, /^vrt_[A-Za-z0-9_-]{43}$/);
    assert.equal((await call("GET", "/api/v1/audit/verify", { token: created.token })).statusCode, 403, "tenant-scoped tokens cannot verify the whole chain");
  });

  it("sets security headers and never caches API answers", async () => {
    const response = await call("GET", "/healthz");
    assert.equal(response.headers["x-content-type-options"], "nosniff");
    assert.equal(response.headers["referrer-policy"], "same-origin");
    assert.match(String(response.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(response.headers["cache-control"], "no-store");
    assert.equal(response.headers["access-control-allow-origin"], undefined);
  });
});

describe("HTTP limits and failures", () => {
  it("answers 429 with Retry-After past the per-client request rate", async () => {
    const t = await createTestRuntime({ overrides: { server: { requestsPerMinute: 5 } } });
    const app = await buildApp(t.runtime);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i += 1) codes.push((await app.inject({ method: "GET", url: "/api/openapi.json" })).statusCode);
      assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await app.inject({ method: "GET", url: "/api/openapi.json" });
      assert.equal(limited.json<{ code: string }>().code, "RATE_LIMITED");
      assert.ok(Number(limited.headers["retry-after"]) > 0);
      t.clock.advance(60_000);
      assert.equal((await app.inject({ method: "GET", url: "/api/openapi.json" })).statusCode, 200);
    } finally {
      await app.close();
      await t.close();
    }
  });

  it("answers an internal failure with a bare INTERNAL_ERROR and logs the cause", async () => {
    const t = await createTestRuntime();
    const app = await buildApp(t.runtime);
    const { token } = await t.runtime.tokens.create({ name: "t", role: "technician", tenants: null }, actor);
    await t.runtime.database.close();
    try {
      const response = await app.inject({
        method: "POST",
        url: "/api/v1/verifications",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        payload: JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" }),
      });
      assert.equal(response.statusCode, 500);
      assert.deepEqual(response.json(), { code: "INTERNAL_ERROR", message: "Something went wrong on our side." });
      assert.equal((await app.inject({ method: "GET", url: "/readyz" })).statusCode, 503);
      assert.ok(t.logs.some((l) => l.includes('"level":50')), "the cause is logged");
    } finally {
      await app.close();
    }
  });
});
