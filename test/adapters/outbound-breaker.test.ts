import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { CircuitOpenError, createOutboundClient, OutboundError, type OutboundClientOptions, type RetryMode } from "../../src/adapters/http/outbound.js";

type Mode = "ok" | "500" | "503" | "400" | "401" | "404" | "429" | "reset" | "hang";

/** SECURITY.md R2 for every upstream: the outbound client's own circuit breaker. */
describe("outbound HTTP client: circuit breaker", () => {
  let server: Server;
  let base: string;
  /** What the fake answers; when the script runs out, `otherwise`. */
  let script: Mode[] = [];
  let otherwise: Mode = "ok";
  let hits = 0;
  let now = 0;
  let logs: { level: string; fields: Record<string, unknown>; text: string }[] = [];
  const log = {
    warn: (fields: Record<string, unknown>, text: string) => logs.push({ level: "warn", fields, text }),
    debug: (fields: Record<string, unknown>, text: string) => logs.push({ level: "debug", fields, text }),
  } as unknown as NonNullable<OutboundClientOptions["log"]>;

  before(async () => {
    server = createServer((request, response) => {
      hits += 1;
      request.resume();
      const mode = script.shift() ?? otherwise;
      if (mode === "hang") return;
      if (mode === "reset") return request.socket.destroy();
      if (mode === "429") return response.writeHead(429, { "retry-after": "0" }).end("slow down");
      response.writeHead(mode === "ok" ? 200 : Number(mode)).end(mode);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    script = [];
    otherwise = "ok";
    hits = 0;
    now = Date.parse("2026-12-07T09:00:00Z");
    logs = [];
  });

  const client = (overrides: Partial<OutboundClientOptions> = {}) =>
    createOutboundClient({ name: "Fake PSA", baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 200, maxRetries: 0, now: () => now, log, ...overrides });
  const call = (c: ReturnType<typeof client>, retry: RetryMode = "idempotent") => c.request({ method: "GET", url: `${base}/tickets/1?secret=s3cr3t`, headers: { authorization: "Bearer t0ken" }, retry });
  /** A call's outcome as one word: its status, or the error's kind. */
  const outcome = (c: ReturnType<typeof client>, retry: RetryMode = "idempotent") =>
    call(c, retry).then(
      (r) => String(r.status),
      (e: unknown) => (e instanceof CircuitOpenError ? "refused" : e instanceof OutboundError ? e.kind : "other"),
    );
  const isRefusal = (retryAfterMs: number) => (e: unknown) =>
    e instanceof CircuitOpenError && e instanceof OutboundError && e.kind === "not_sent" && e.service === "Fake PSA" && e.retryAfterMs === retryAfterMs;

  it("opens after 5 outages (5xx, resets, timeouts) within 10 s and then refuses at once, as not sent, without a request", async () => {
    const c = client();
    try {
      script = ["503", "500", "reset", "hang", "503"];
      assert.deepEqual(
        [await outcome(c), await outcome(c), await outcome(c), await outcome(c, "none"), await outcome(c)],
        ["503", "500", "ambiguous", "ambiguous", "503"],
      );
      assert.equal(hits, 5);
      now += 4000;
      await assert.rejects(call(c), isRefusal(26_000));
      await assert.rejects(call(c, "not-sent-only"), isRefusal(26_000));
      assert.equal(hits, 5, "no request reached the upstream while the circuit was open");
    } finally {
      await c.close();
    }
  });

  it("never opens for 4xx answers, 429 included: they refuse one request, the upstream is there", async () => {
    const c = client();
    try {
      for (const mode of ["400", "401", "404", "429", "429", "429", "401", "404"] as const) script.push(mode);
      for (let i = 0; i < 8; i += 1) assert.match(await outcome(c), /^4\d\d$/);
      assert.equal(await outcome(c), "200");
      assert.equal(hits, 9, "every call reached the upstream");
    } finally {
      await c.close();
    }
  });

  it("an answer clears the count, and outages further apart than the window do not add up", async () => {
    const c = client();
    try {
      script = ["503", "503", "503", "503", "404", "503", "503", "503", "503"];
      for (let i = 0; i < 9; i += 1) await outcome(c);
      assert.equal(await outcome(c), "200", "4 + 4 outages around an answer do not open it");
      otherwise = "503";
      for (let i = 0; i < 8; i += 1) {
        assert.equal(await outcome(c), "503");
        now += 2600;
      }
      assert.equal(hits, 18, "8 outages 2.6 s apart never made 5 within 10 s");
    } finally {
      await c.close();
    }
  });

  it("counts a call once, after its retries", async () => {
    const c = client({ maxRetries: 3 });
    try {
      otherwise = "503";
      for (let i = 0; i < 4; i += 1) assert.equal(await outcome(c), "503");
      assert.equal(hits, 16, "four calls, four attempts each");
      assert.equal(await outcome(c), "503");
      assert.equal(await outcome(c), "refused", "the fifth failed call opened it");
      assert.equal(hits, 20);
    } finally {
      await c.close();
    }
  });

  it("after 30 s lets one probe through, refusing others meanwhile; a failed probe opens it for another 30 s", async () => {
    const c = client();
    try {
      otherwise = "503";
      for (let i = 0; i < 5; i += 1) await outcome(c);
      now += 30_000;
      script = ["hang"];
      const probe = outcome(c, "none");
      while (hits < 6) await new Promise((resolve) => setTimeout(resolve, 5));
      await assert.rejects(call(c), isRefusal(200), "refused until the probe has been out for the client's timeout");
      assert.equal(await probe, "ambiguous");
      assert.equal(hits, 6, "one probe only");
      await assert.rejects(call(c), isRefusal(30_000));
      now += 29_999;
      assert.equal(await outcome(c), "refused");
      assert.equal(hits, 6);
    } finally {
      await c.close();
    }
  });

  it("closes on the first good probe, and says so once in the log, naming only the service", async () => {
    const c = client();
    try {
      otherwise = "503";
      for (let i = 0; i < 5; i += 1) await outcome(c);
      now += 30_000;
      otherwise = "ok";
      assert.equal(await outcome(c), "200", "the probe");
      for (let i = 0; i < 3; i += 1) assert.equal(await outcome(c), "200");
      assert.equal(hits, 9);
      const warnings = logs.filter((l) => l.level === "warn");
      assert.deepEqual(
        warnings.map((l) => [l.fields["service"], l.fields["circuit"]]),
        [
          ["Fake PSA", "open"],
          ["Fake PSA", "closed"],
        ],
      );
      for (const line of logs) assert.ok(!/s3cr3t|t0ken|127\.0\.0\.1|tickets/.test(JSON.stringify(line)), JSON.stringify(line));
    } finally {
      await c.close();
    }
  });

  it("takes its thresholds from the client's settings, or none at all", async () => {
    otherwise = "503";
    const strict = client({ breaker: { failures: 2, windowMs: 1000, openMs: 5000 } });
    const none = client({ breaker: false });
    try {
      assert.deepEqual([await outcome(strict), await outcome(strict), await outcome(strict)], ["503", "503", "refused"]);
      now += 5000;
      otherwise = "ok";
      assert.equal(await outcome(strict), "200");
      otherwise = "503";
      for (let i = 0; i < 10; i += 1) assert.equal(await outcome(none), "503");
      assert.equal(hits, 13);
    } finally {
      await Promise.all([strict.close(), none.close()]);
    }
  });
});
