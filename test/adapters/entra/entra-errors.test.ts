import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { startFakeEntra } from "../../fakes/entra/fake-entra.js";
import { CONTOSO, failure, findSettled, NARROW_APP_ID, seed, startHarness, USERS, type Harness } from "./entra-fixtures.js";

const USERS_QUERY = /^\/graph\/v1\.0\/users$/;
const AUDITS = "/graph/v1.0/auditLogs/directoryAudits";

describe("Entra directory: upstream failures", () => {
  let h: Harness;
  let elsewhere: Server;
  let elsewhereHits = 0;
  let elsewhereUrl: string;
  before(async () => {
    h = await startHarness();
    elsewhere = createServer((request, response) => {
      elsewhereHits += 1;
      response.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h.close();
    await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
  });
  beforeEach(() => {
    h.fake.resetStats();
    h.fake.clearFailures();
  });

  const directory = (overrides: Record<string, unknown> = {}) => h.directory({ tenantId: CONTOSO, ...overrides });

  it("waits as long as a 429's Retry-After asks, then succeeds", async () => {
    h.fake.failNext(USERS_QUERY, { status: 429, retryAfter: 1 });
    const started = Date.now();
    const user = await findSettled(directory(), "jane.doe@contoso.example");
    assert.equal(user?.upn, "jane.doe@contoso.example");
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(h.fake.count(USERS_QUERY), 2);
  });

  it("reports throttling that outlasts the retries as DIRECTORY_UNAVAILABLE with Retry-After", async () => {
    h.fake.failNext(USERS_QUERY, { status: 429, retryAfter: 120 }, 5);
    const refused = await failure(directory().findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
    assert.equal(refused.retryAfterSeconds, 120);
    assert.match(refused.message, /Microsoft Graph is throttling Verity/);
  });

  it("retries a 503 and succeeds", async () => {
    h.fake.failNext(`/graph/v1.0/users/${USERS.jane}/authentication/phoneMethods`, { status: 503 }, 2);
    const user = await findSettled(directory(), "jane.doe@contoso.example");
    assert.equal(user?.phones.length, 3);
    assert.equal(h.fake.count(`/graph/v1.0/users/${USERS.jane}/authentication/phoneMethods`), 3);
  });

  it("gives up on a 503 after the retries with DIRECTORY_UNAVAILABLE", async () => {
    h.fake.failNext(USERS_QUERY, { status: 503 }, 10);
    const refused = await failure(directory().findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
    assert.match(refused.message, /answered HTTP 503 \(after 4 attempt\(s\)\)/);
    assert.equal(h.fake.count(USERS_QUERY), 4);
  });

  it("times out a call that never answers", async () => {
    h.fake.failNext(USERS_QUERY, { hang: true }, 4);
    const refused = await failure(directory({ timeoutMs: 300 }).findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
    assert.match(refused.message, /did not answer/);
  });

  it("reports an unreachable login endpoint as DIRECTORY_UNAVAILABLE", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await failure(h.directory({ loginUrl: `http://127.0.0.1:${port}/login` }).findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
    assert.match(refused.message, /ECONNREFUSED/);
  });

  it("turns a 403 into UPSTREAM_AUTH_FAILED naming the permission", async () => {
    const d = directory();
    const user = await d.findUser("jane.doe@contoso.example");
    assert.ok(user !== null);
    const narrow = h.directory({ tenantId: CONTOSO, clientId: NARROW_APP_ID });
    const refused = await failure(narrow.riskSignals(user));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /Authorization_RequestDenied/);
    assert.match(refused.message, /application permission AuditLog\.Read\.All/);
  });

  it("follows a nextLink on the Graph host", async () => {
    const { fake } = h;
    fake.injectNextLink(AUDITS, `${fake.graphUrl}/v1.0/auditLogs/directoryAudits?$skiptoken=0&$filter=${encodeURIComponent(`targetResources/any(t: t/id eq '${USERS.jane}')`)}`);
    const d = directory();
    const user = await d.findUser("jane.doe@contoso.example");
    assert.ok(user !== null);
    const signals = await d.riskSignals(user);
    assert.match(signals[0]?.detail ?? "", /2 security-info changes/, "the event was counted on both pages");
    assert.equal(fake.count(AUDITS), 2);
  });

  it("refuses a nextLink to another host without calling it", async () => {
    h.fake.injectNextLink(AUDITS, `${elsewhereUrl}/v1.0/auditLogs/directoryAudits?$skiptoken=x`);
    const d = directory();
    const user = await d.findUser("jane.doe@contoso.example");
    assert.ok(user !== null);
    const refused = await failure(d.riskSignals(user));
    assert.equal(refused.code, "DIRECTORY_ERROR");
    assert.match(refused.message, /refused to follow/);
    assert.equal(elsewhereHits, 0);
  });

  it("refuses a nextLink on the Graph host but outside its path", async () => {
    h.fake.injectNextLink(AUDITS, `${h.fake.origin}/login/${CONTOSO}/oauth2/v2.0/token`);
    const d = directory();
    const user = await d.findUser("jane.doe@contoso.example");
    assert.ok(user !== null);
    assert.equal((await failure(d.riskSignals(user))).code, "DIRECTORY_ERROR");
    assert.equal(h.fake.count(/\/token$/), 1);
  });

  it("explains a tenant without the licence audit logs need", async () => {
    const options = seed(h.clock);
    const fake = await startFakeEntra({ ...options, tenants: options.tenants.map((t) => (t.id === CONTOSO ? { ...t, premium: false } : t)) });
    try {
      const d = h.directory({ tenantId: CONTOSO, loginUrl: fake.loginUrl, graphUrl: fake.graphUrl });
      const user = await d.findUser("jane.doe@contoso.example");
      assert.ok(user !== null);
      const refused = await failure(d.riskSignals(user));
      assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
      assert.match(refused.message, /Entra ID P1 or P2 licence/);
    } finally {
      await fake.close();
    }
  });
});
