/**
 * A circuit breaker for one upstream (SECURITY.md R2). Failures are what the caller says they are
 * (an outage, not a refusal of one request). After `failures` of them within `windowMs`, calls
 * fail at once for `openMs` instead of each waiting for a timeout. After that, one call goes
 * through as a probe: success closes the circuit, failure opens it again.
 *
 * @example
 * ```ts
 * const breaker = createCircuitBreaker({ now: Date.now });
 * const result = await breaker.run(() => send(message), (e) => isOutage(e), () => new VerityError("CHANNEL_UNAVAILABLE"));
 * ```
 */
export interface CircuitBreakerOptions {
  readonly now: () => number;
  /** Failures within the window that open the circuit (default 5). */
  readonly failures?: number;
  /** How far back failures count (default 10 s). */
  readonly windowMs?: number;
  /** How long an open circuit refuses calls before it lets a probe through (default 30 s). */
  readonly openMs?: number;
  /**
   * A probe out longer than this no longer holds the others back: the next call probes too (a long
   * poll that waits for a person must not keep a recovered service refused). Default: never.
   */
  readonly probeWaitMs?: number;
  /** Told of each change (opened, probe let through, closed); a listener that throws is ignored. */
  readonly onChange?: (state: CircuitState, previous: CircuitState) => void;
}

/** The thresholds an operator may set; the defaults are SECURITY.md R2's. */
export type CircuitBreakerSettings = Pick<CircuitBreakerOptions, "failures" | "windowMs" | "openMs">;

export const CIRCUIT_DEFAULTS = { failures: 5, windowMs: 10_000, openMs: 30_000 } as const;

/**
 * - `closed`: calls go through.
 * - `open`: calls are refused at once.
 * - `half-open`: the open time is over; one probe is out, or the next call will be it.
 */
export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreaker {
  /**
   * Runs `call` unless the circuit is open (or a probe is already out), in which case
   * `refusal(retryAfterMs)` is thrown at once. An error for which `isFailure` is true, or a
   * result for which `isFailedResult` is, counts toward opening the circuit.
   */
  run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean, refusal: (retryAfterMs: number) => Error, isFailedResult?: (result: T) => boolean): Promise<T>;
  readonly state: CircuitState;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const threshold = options.failures ?? CIRCUIT_DEFAULTS.failures;
  const windowMs = options.windowMs ?? CIRCUIT_DEFAULTS.windowMs;
  const openMs = options.openMs ?? CIRCUIT_DEFAULTS.openMs;
  let recent: number[] = [];
  let openUntil = 0;
  /** When the probe now out was let through, or null. */
  let probeSince: number | null = null;

  const state = (): CircuitState => {
    if (openUntil === 0) return "closed";
    return options.now() < openUntil ? "open" : "half-open";
  };
  const changed = (to: CircuitState, from: CircuitState) => {
    try {
      options.onChange?.(to, from);
    } catch {
      // A listener never breaks a call.
    }
  };
  const open = (now: number, from: CircuitState) => {
    openUntil = now + openMs;
    recent = [];
    changed("open", from);
  };
  const close = () => {
    openUntil = 0;
    changed("closed", "half-open");
  };

  return {
    get state() {
      return state();
    },
    async run(call, isFailure, refusal, isFailedResult) {
      const current = state();
      if (current === "open") throw refusal(Math.max(0, openUntil - options.now()));
      const probeWaitMs = options.probeWaitMs ?? Number.POSITIVE_INFINITY;
      if (current === "half-open" && probeSince !== null && options.now() - probeSince < probeWaitMs) {
        throw refusal(Number.isFinite(probeWaitMs) ? probeSince + probeWaitMs - options.now() : 0);
      }
      const probe = current === "half-open";
      const since = options.now();
      if (probe) {
        if (probeSince === null) changed("half-open", "open");
        probeSince = since;
      }
      const failed = () => {
        const now = options.now();
        // A probe decides only while the circuit waits for one (another probe may have settled it).
        if (probe && state() === "half-open") return open(now, "half-open");
        recent = [...recent.filter((t) => now - t < windowMs), now];
        if (recent.length >= threshold && state() === "closed") open(now, "closed");
      };
      try {
        const result = await call();
        if (isFailedResult?.(result) === true) {
          failed();
        } else {
          // The upstream answered (even a refusal of this one request): it is there.
          recent = [];
          if (probe && state() === "half-open") close();
        }
        return result;
      } catch (error) {
        if (isFailure(error)) failed();
        else if (probe && state() === "half-open") close();
        throw error;
      } finally {
        if (probe && probeSince === since) probeSince = null;
      }
    },
  };
}
