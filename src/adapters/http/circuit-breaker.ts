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
  readonly windowMs?: number;
  /** How long an open circuit refuses calls before it lets a probe through (default 30 s). */
  readonly openMs?: number;
}

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreaker {
  /**
   * Runs `call` unless the circuit is open, in which case `refusal(retryAfterMs)` is thrown at
   * once. An error for which `isFailure` is true counts toward opening the circuit.
   */
  run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean, refusal: (retryAfterMs: number) => Error): Promise<T>;
  readonly state: CircuitState;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const threshold = options.failures ?? 5;
  const windowMs = options.windowMs ?? 10_000;
  const openMs = options.openMs ?? 30_000;
  let recent: number[] = [];
  let openUntil = 0;
  let probing = false;

  const state = (): CircuitState => {
    if (openUntil === 0) return "closed";
    return options.now() < openUntil || probing ? "open" : "half-open";
  };

  return {
    get state() {
      return state();
    },
    async run(call, isFailure, refusal) {
      const current = state();
      if (current === "open") throw refusal(Math.max(0, openUntil - options.now()));
      const probe = current === "half-open";
      if (probe) probing = true;
      try {
        const result = await call();
        if (probe) openUntil = 0;
        recent = [];
        return result;
      } catch (error) {
        if (isFailure(error)) {
          const now = options.now();
          if (probe) {
            openUntil = now + openMs;
          } else {
            recent = [...recent.filter((t) => now - t < windowMs), now];
            if (recent.length >= threshold) {
              openUntil = now + openMs;
              recent = [];
            }
          }
        } else if (probe) {
          // The upstream answered (a refusal of this one request): it is back.
          openUntil = 0;
        }
        throw error;
      } finally {
        if (probe) probing = false;
      }
    },
  };
}
