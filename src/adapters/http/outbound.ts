import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { Agent, errors as undiciErrors, request as undiciRequest } from "undici";
import { createCircuitBreaker, type CircuitBreakerSettings } from "./circuit-breaker.js";
import { registerBreaker, tellBreakerListeners } from "./upstream-breakers.js";

/**
 * When a failed call may be repeated.
 * - `idempotent`: reads and other calls with no side effect. Retries 429 (honouring Retry-After),
 *   502, 503, 504 and every transport failure.
 * - `not-sent-only`: calls with an effect (send an SMS, post a note). Retries only what certainly
 *   never took effect: a 429 and a connection that was never made. A timeout or a reset after the
 *   request left is reported as `ambiguous` and never retried here.
 * - `none`: one attempt.
 */
export type RetryMode = "idempotent" | "not-sent-only" | "none";

export interface OutboundClientOptions {
  /** The service's name in errors and logs, e.g. "Microsoft Graph". */
  readonly name: string;
  /** Connecting may take this long (default 3 s). */
  readonly connectTimeoutMs?: number;
  /** One attempt may take this long in total (default 10 s). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  readonly maxRetries?: number;
  /** Backoff: full jitter between 0 and min(maxDelayMs, baseDelayMs · 2^attempt). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Waits longer than this for a Retry-After are not made; the 429 is returned instead. */
  readonly maxRetryAfterMs?: number;
  /**
   * How long a vendor asks to wait, read from its own headers, when a 429 has no Retry-After
   * (Okta's X-Rate-Limit-Reset). Milliseconds from now, or undefined.
   */
  readonly retryDelayFromHeaders?: (headers: Readonly<Record<string, string>>) => number | undefined;
  /** TLS client certificate and key (PEM) for mutual TLS, and extra trusted CAs. */
  readonly tls?: { readonly cert?: string; readonly key?: string; readonly passphrase?: string; readonly ca?: string | readonly string[] };
  readonly log?: Pick<Logger, "warn" | "debug">;
  /**
   * The upstream's circuit breaker (SECURITY.md R2): after `failures` outages (no answer or a 5xx,
   * counted per call after its retries) within `windowMs`, calls fail at once with
   * {@link CircuitOpenError} for `openMs`, then one probe goes through. A 4xx, 429 included, is an
   * answer and never opens it. Defaults: 5 in 10 s, open 30 s. `false`: no breaker.
   */
  readonly breaker?: CircuitBreakerSettings | false;
  /** Milliseconds since the epoch, for the breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}

export interface OutboundRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly url: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly retry: RetryMode;
  /** Overrides the client's total timeout for this call (a long poll, a synchronous push). */
  readonly timeoutMs?: number;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** How many attempts it took. */
  readonly attempts: number;
}

/** A call that got no HTTP answer. `not_sent`: it certainly had no effect; `ambiguous`: it may have. */
export class OutboundError extends Error {
  constructor(
    readonly service: string,
    readonly kind: "not_sent" | "ambiguous",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OutboundError";
  }
}

export interface OutboundClient {
  /**
   * Sends one request, retrying as its `retry` mode allows. Any HTTP status comes back as a
   * response (the adapter maps vendor errors); only a missing answer throws OutboundError.
   */
  request(request: OutboundRequest): Promise<OutboundResponse>;
  /** Drops every connection at once, aborting requests still out (shutdown). */
  close(): Promise<void>;
}

/**
 * A call refused at once because the service failed repeatedly (its circuit is open). Nothing was
 * sent, so it is `not_sent`: a queued job retries it later, a waiting person is told to try again
 * or use another method.
 */
export class CircuitOpenError extends OutboundError {
  constructor(
    service: string,
    /** When the circuit lets a probe through. */
    readonly retryAfterMs: number,
  ) {
    super(service, "not_sent", `${service} failed repeatedly, so Verity is not calling it for ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`);
    this.name = "CircuitOpenError";
  }
}

/** One attempt of an outbound call, as metrics see it: no URL, no headers, no body. */
export interface OutboundObservation {
  readonly service: string;
  readonly method: string;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;
  readonly seconds: number;
}

const outboundListeners = new Set<(o: OutboundObservation) => void>();

/**
 * Sees every attempt of every outbound call in this process (upstream latency for /metrics).
 * Returns the function that stops it. A listener that throws is ignored.
 */
export function observeOutbound(listener: (o: OutboundObservation) => void): () => void {
  outboundListeners.add(listener);
  return () => outboundListeners.delete(listener);
}

function tellListeners(o: OutboundObservation): void {
  for (const listener of outboundListeners) {
    try {
      listener(o);
    } catch {
      // Metrics never break a call.
    }
  }
}

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
const RETRY_STATUS_IDEMPOTENT = new Set([429, 502, 503, 504]);

/**
 * The one way Verity calls a vendor: a timeout on connecting and on every attempt, bounded and
 * jittered retries only where a retry cannot duplicate an effect, Retry-After honoured. It never
 * logs headers or bodies, so credentials and codes stay out of logs.
 */
export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 8000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const tls = options.tls;
  const agent = new Agent({
    connectTimeout: connectTimeoutMs,
    keepAliveTimeout: 30_000,
    connect: {
      ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls?.key === undefined ? {} : { key: tls.key }),
      ...(tls?.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
      ...(tls?.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    },
  });

  const backoff = (attempt: number) => randomInt(0, Math.max(1, Math.min(maxDelayMs, baseDelayMs * 2 ** attempt)) + 1);

  const once = async (req: OutboundRequest): Promise<Omit<OutboundResponse, "attempts">> => {
    const limit = req.timeoutMs ?? timeoutMs;
    const began = performance.now();
    let status: number | null = null;
    try {
      const response = await undiciRequest(req.url, {
        method: req.method,
        headers: { "user-agent": "Verity", ...req.headers },
        ...(req.body === undefined ? {} : { body: req.body }),
        dispatcher: agent,
        signal: AbortSignal.timeout(limit),
        headersTimeout: limit,
        bodyTimeout: limit,
      });
      const text = await response.body.text();
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
      }
      status = response.statusCode;
      return { status: response.statusCode, headers, text };
    } catch (error) {
      throw classify(options.name, error, limit);
    } finally {
      if (outboundListeners.size > 0) tellListeners({ service: options.name, method: req.method, status, seconds: (performance.now() - began) / 1000 });
    }
  };

  const requestWithRetries = async (req: OutboundRequest): Promise<OutboundResponse> => {
    for (let attempt = 0; ; attempt += 1) {
      let outcome: Omit<OutboundResponse, "attempts"> | OutboundError;
      try {
        outcome = await once(req);
      } catch (error) {
        if (!(error instanceof OutboundError)) throw error;
        outcome = error;
      }
      const retriesLeft = req.retry !== "none" && attempt < maxRetries;
      if (outcome instanceof OutboundError) {
        const retryable = retriesLeft && (outcome.kind === "not_sent" || req.retry === "idempotent");
        if (!retryable) throw outcome;
        options.log?.debug({ service: options.name, attempt, kind: outcome.kind }, "retrying after a transport failure");
        await sleep(backoff(attempt));
        continue;
      }
      const retryableStatus = req.retry === "idempotent" ? RETRY_STATUS_IDEMPOTENT.has(outcome.status) : outcome.status === 429;
      if (!retriesLeft || !retryableStatus) return { ...outcome, attempts: attempt + 1 };
      const retryAfter = retryAfterMs(outcome.headers["retry-after"]) ?? (outcome.status === 429 ? options.retryDelayFromHeaders?.(outcome.headers) : undefined);
      if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) return { ...outcome, attempts: attempt + 1 };
      options.log?.warn({ service: options.name, status: outcome.status, attempt }, "upstream asked us to slow down; retrying");
      await sleep(retryAfter ?? backoff(attempt));
    }
  };

  // A probe held longer than an ordinary call (a long poll) lets the next call probe too.
  const breaker = options.breaker === false ? null : createOutboundBreaker(options.name, { probeWaitMs: timeoutMs, ...options.breaker }, options.now ?? Date.now, options.log);
  return {
    request: (req) =>
      breaker === null
        ? requestWithRetries(req)
        : breaker.breaker.run(
            () => requestWithRetries(req),
            (error) => error instanceof OutboundError,
            (retryAfter) => {
              tellBreakerListeners({ kind: "refused", service: options.name });
              return new CircuitOpenError(options.name, retryAfter);
            },
            (response) => response.status >= 500,
          ),
    // Destroy, not close: a held long poll (Duo holds up to a minute) must not delay shutdown.
    close: async () => {
      breaker?.unregister();
      await agent.destroy();
    },
  };
}

/** A client's breaker, registered for /metrics, saying when it opens and closes. */
function createOutboundBreaker(service: string, settings: CircuitBreakerSettings & { readonly probeWaitMs?: number }, now: () => number, log: Pick<Logger, "warn" | "debug"> | undefined) {
  const breaker = createCircuitBreaker({
    ...settings,
    now,
    onChange(state, previous) {
      tellBreakerListeners({ kind: "changed", service, state, previous });
      if (state === "open" && previous === "closed") log?.warn({ service, circuit: state }, "upstream failed repeatedly: circuit open, calls fail at once until a probe succeeds");
      else if (state === "closed") log?.warn({ service, circuit: state }, "upstream answered the probe: circuit closed");
      else log?.debug({ service, circuit: state }, state === "open" ? "upstream probe failed: circuit open again" : "circuit half-open: one probe goes through");
    },
  });
  const unregister = registerBreaker({
    service,
    get state() {
      return breaker.state;
    },
  });
  return { breaker, unregister };
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function classify(service: string, error: unknown, limitMs: number): OutboundError {
  const code = errorCode(error);
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    return new OutboundError(service, "not_sent", `${service} could not be reached (${code}).`, { cause: error });
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new OutboundError(service, "not_sent", `${service} could not be reached (connect timeout).`, { cause: error });
  }
  const timedOut =
    (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError;
  return new OutboundError(
    service,
    "ambiguous",
    timedOut
      ? `${service} did not answer within ${limitMs < 1000 ? `${limitMs} ms` : `${Math.round(limitMs / 1000)} s`}.`
      : `The connection to ${service} failed (${code ?? "reset"}).`,
    { cause: error },
  );
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth += 1) {
    if (typeof e === "object" && "code" in e && typeof e.code === "string") return e.code;
    e = typeof e === "object" && "cause" in e ? e.cause : undefined;
  }
  return undefined;
}
