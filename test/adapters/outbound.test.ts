import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createOutboundClient, OutboundError, retryAfterMs } from "../../src/adapters/http/outbound.js";

type Mode = "ok" | "429" | "429-long" | "429-vendor" | "503" | "hang" | "reset";

describe("outbound HTTP client", () => {
  let server: Server;
  let base: string;
  let script: Mode[] = [];
  let hits = 0;
  let resetInMs = 0;
  before(async () => {
    server = createServer((request, response) => {
      hits += 1;
      request.resume();
      const mode = script.shift() ?? "ok";
      if (mode === "hang") return;
      if (mode === "reset") return request.socket.destroy();
      if (mode === "429") return response.writeHead(429, { "retry-after": "0" }).end("slow down");
      if (mode === "429-long") return response.writeHead(429, { "retry-after": "3600" }).end("later");
      if (mode === "429-vendor") return response.writeHead(429, { "x-reset-in": String(resetInMs) }).end("spent");
      if (mode === "503") return response.writeHead(503).end();
      response.writeHead(200, { "content-type": "application/json", "x-thing": "1" }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = (overrides = {}) => createOutboundClient({ name: "Fake", baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 300, ...overrides });
  const run = async (modes: Mode[], retry: "idempotent" | "not-sent-only" | "none", method: "GET" | "POST" = "GET") => {
    script = [...modes];
    hits = 0;
    const c = client();
    try {
      return await c.request({ method, url: `${base}/x`, retry, ...(method === "POST" ? { body: "a=1" } : {}) });
    } finally {
      await c.close();
    }
  };

  it("returns the response with lower-cased headers", async () => {
    const response = await run(["ok"], "none");
    assert.deepEqual([response.status, response.text, response.headers["x-thing"], response.attempts], [200, '{"ok":true}', "1", 1]);
  });

  it("retries a 429 in every mode but none, honouring Retry-After", async () => {
    assert.equal((await run(["429", "429", "ok"], "not-sent-only", "POST")).status, 200);
    assert.equal(hits, 3);
    assert.equal((await run(["429"], "none")).status, 429);
  });

  it("does not wait longer than allowed for a Retry-After", async () => {
    const response = await run(["429-long", "ok"], "idempotent");
    assert.equal(response.status, 429);
    assert.equal(hits, 1);
  });

  it("reads a vendor's own reset header when a 429 has no Retry-After, within the wait it allows", async () => {
    const vendor = (maxRetryAfterMs: number) =>
      createOutboundClient({
        name: "Fake",
        baseDelayMs: 1,
        timeoutMs: 300,
        maxRetryAfterMs,
        retryDelayFromHeaders: (headers) => Number(headers["x-reset-in"]),
      });
    resetInMs = 50;
    script = ["429-vendor", "ok"];
    hits = 0;
    const near = vendor(2000);
    const started = Date.now();
    assert.equal((await near.request({ method: "GET", url: `${base}/x`, retry: "idempotent" })).status, 200);
    assert.ok(Date.now() - started >= 45, "waited for the vendor's reset");
    await near.close();
    resetInMs = 5000;
    script = ["429-vendor", "ok"];
    hits = 0;
    const far = vendor(2000);
    assert.equal((await far.request({ method: "GET", url: `${base}/x`, retry: "idempotent" })).status, 429);
    assert.equal(hits, 1, "a far reset is not waited for inside the request");
    await far.close();
  });

  it("retries 503 for idempotent calls only", async () => {
    assert.equal((await run(["503", "ok"], "idempotent")).status, 200);
    assert.equal((await run(["503", "ok"], "not-sent-only", "POST")).status, 503);
    assert.equal(hits, 1);
  });

  it("gives up after the retry budget", async () => {
    const response = await run(["503", "503", "503", "503", "503"], "idempotent");
    assert.deepEqual([response.status, response.attempts], [503, 4]);
  });

  it("reports a timeout as ambiguous and never repeats an effect after it", async () => {
    await assert.rejects(run(["hang", "ok"], "not-sent-only", "POST"), (e: unknown) => e instanceof OutboundError && e.kind === "ambiguous" && /did not answer/.test(e.message));
    assert.equal(hits, 1);
    assert.equal((await run(["hang", "ok"], "idempotent")).status, 200);
  });

  it("reports a reset after the request left as ambiguous", async () => {
    await assert.rejects(run(["reset", "ok"], "not-sent-only", "POST"), (e: unknown) => e instanceof OutboundError && e.kind === "ambiguous");
    assert.equal(hits, 1);
  });

  it("reports a refused connection as not sent, and retries it even for effects", async () => {
    const refusing = createServer();
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    const port = (refusing.address() as AddressInfo).port;
    await new Promise<void>((resolve) => refusing.close(() => resolve()));
    const c = client({ maxRetries: 2 });
    const started = Date.now();
    await assert.rejects(
      c.request({ method: "POST", url: `http://127.0.0.1:${port}/x`, body: "a", retry: "not-sent-only" }),
      (e: unknown) => e instanceof OutboundError && e.kind === "not_sent" && /ECONNREFUSED/.test(e.message),
    );
    assert.ok(Date.now() - started < 2000);
    await c.close();
  });

  it("reads Retry-After as seconds or a date", () => {
    assert.equal(retryAfterMs("5"), 5000);
    assert.equal(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")), 10_000);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});
