import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { directoryUser, pushRequest, rejectsWith, startDuoKit, type DuoKit } from "./duo-kit.js";

const ACTIONABLE = /integration key, secret key, API host, and the server clock/;

describe("Duo failures", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const lookup = (config: Record<string, unknown> = {}, deps: Parameters<DuoKit["provider"]>[1] = {}) =>
    kit.provider(config, deps).describeUser({ providerUserId: "jdoe", user: directoryUser(), tenantId: "acme" });

  it("a wrong secret key is UPSTREAM_AUTH_FAILED naming what to check (Duo 40103)", async () => {
    const error = await rejectsWith(lookup({ secretKey: "x".repeat(40) }), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, ACTIONABLE);
    assert.deepEqual(error.details, { provider: "duo", httpStatus: 401, providerCode: 40103 });
    assert.equal(kit.fake.requests.length, 1, "a 401 is not retried");
  });

  it("signing another host than the one Duo answers as fails the same way", async () => {
    const error = await rejectsWith(lookup({ apiHost: "api-other.duosecurity.com" }), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /40103/);
  });

  it("a server clock far from Duo's is refused, and the message says to check the clock", async () => {
    const hourAgo = { now: () => new Date(Date.now() - 3_600_000) };
    const error = await rejectsWith(lookup({}, { clock: hourAgo }), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /server clock/);
    assert.equal((error.details as { providerCode?: number }).providerCode, 40105);
  });

  it("an unknown integration key and an application without Auth API rights are UPSTREAM_AUTH_FAILED", async () => {
    await rejectsWith(lookup({ integrationKey: "DIAAAAAAAAAAAAAAAAAA" }), "UPSTREAM_AUTH_FAILED");
    kit.fake.failNext({ status: 403, code: 40301, message: "Access forbidden" });
    const error = await rejectsWith(lookup(), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /Auth API application/);
  });

  it("checkCredentials proves the keys and reports the clock's distance from Duo", async () => {
    const duo = kit.provider({}, { clock: { now: () => new Date(Date.now() + 90_000) } });
    const { skewSeconds } = await duo.checkCredentials();
    assert.ok(skewSeconds >= 88 && skewSeconds <= 92, `skew ${skewSeconds}`);
  });

  it("retries a 429 on preauth with backoff and then succeeds", async () => {
    kit.fake.failNext("429", { count: 2 });
    const info = await lookup();
    assert.equal(info.push, true);
    assert.equal(kit.fake.requests.length, 3);
  });

  it("after repeated 429s says PROVIDER_UNAVAILABLE with a retry hint", async () => {
    kit.fake.failNext("429", { count: 10 });
    const error = await rejectsWith(lookup(), "PROVIDER_UNAVAILABLE");
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterSeconds, 5);
    assert.match(error.message, /limiting requests \(Duo error 42901\)/);
    assert.equal(kit.fake.requests.length, 4);
  });

  it("retries a 429 on the push itself (Duo did nothing) and sends exactly one push", async () => {
    kit.fake.failNext("429", { count: 2, path: "/auth/v2/auth" });
    const started = await kit.provider().startPush(pushRequest());
    assert.equal(kit.fake.transactions.length, 1);
    assert.equal(started.transactionRef, kit.fake.transactions[0]?.txid);
  });

  it("40002 is PROVIDER_ERROR naming the parameter", async () => {
    kit.fake.failNext({ status: 400, code: 40002, message: "Invalid request parameters", detail: "display_username" }, { path: "/auth/v2/auth" });
    const error = await rejectsWith(kit.provider().startPush(pushRequest()), "PROVIDER_ERROR");
    assert.match(error.message, /the parameter 'display_username' when asked to send the push \(Duo error 40002\)/);
    const noDevice = await rejectsWith(kit.provider().startPush(pushRequest({ providerUserId: "tokenonly" })), "PROVIDER_ERROR");
    assert.match(noDevice.message, /'device'/);
  });

  it("a 500 after Duo may have pushed is PROVIDER_UNAVAILABLE, warns of a stray prompt, and is not repeated", async () => {
    kit.fake.failNext("500", { path: "/auth/v2/auth" });
    const error = await rejectsWith(kit.provider().startPush(pushRequest()), "PROVIDER_UNAVAILABLE");
    assert.match(error.message, /may still show a prompt/);
    assert.equal(kit.fake.requests.length, 1);
    assert.equal(kit.fake.transactions.length, 1);
  });

  it("a push that hangs times out once, unrepeated, with the same warning", async () => {
    kit.fake.failNext("hang", { path: "/auth/v2/auth" });
    const error = await rejectsWith(kit.provider({ timeoutMs: 300 }).startPush(pushRequest()), "PROVIDER_UNAVAILABLE");
    assert.match(error.message, /no answer .* may still show a prompt/);
    assert.equal(kit.fake.requests.length, 1);
  });

  it("an unreadable success is PROVIDER_ERROR", async () => {
    kit.fake.failNext({ status: 200, code: 0, message: "not the documented shape" });
    await rejectsWith(lookup(), "PROVIDER_ERROR");
  });

  it("an unreachable Duo is PROVIDER_UNAVAILABLE", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejectsWith(lookup({ baseUrl: `http://127.0.0.1:${port}` }), "PROVIDER_UNAVAILABLE");
    assert.match(error.message, /could not be reached/);
  });

  it("logs neither the secret key nor the signature", () => {
    const text = kit.logs.join("\n");
    assert.ok(kit.logs.length > 0);
    assert.ok(!text.includes(kit.fake.secretKey));
    assert.ok(!/authorization|Basic /i.test(text));
  });
});
