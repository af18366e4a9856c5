import type { Clock } from "../../domain/ports.js";

/** What a loader hands back: a value or a settled failure, each kept for `ttlMs`. */
export type CacheOutcome<V> =
  | { readonly ok: true; readonly value: V; readonly ttlMs: number }
  | { readonly ok: false; readonly error: unknown; readonly ttlMs: number };

export interface SingleFlightCache<V> {
  /**
   * The cached outcome for `key` while it is fresh; otherwise runs `load` once however many
   * callers ask at the same time. A loader that throws (rather than returning `ok: false`) leaves
   * nothing cached, so transient failures are retried by the next caller.
   */
  get(key: string, load: () => Promise<CacheOutcome<V>>): Promise<V>;
  delete(key: string): void;
}

interface Stored<V> {
  readonly outcome: CacheOutcome<V>;
  readonly expiresAt: number;
}

/**
 * A small TTL cache with single-flight loading, timed by the injected clock. At most
 * `maxEntries` outcomes are kept; the oldest is dropped first.
 */
export function createSingleFlightCache<V>(clock: Clock, maxEntries = 10_000): SingleFlightCache<V> {
  const stored = new Map<string, Stored<V>>();
  const inFlight = new Map<string, Promise<V>>();

  const settle = (outcome: CacheOutcome<V>): V => {
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  };

  return {
    async get(key, load) {
      const hit = stored.get(key);
      if (hit !== undefined) {
        if (clock.now().getTime() < hit.expiresAt) return settle(hit.outcome);
        stored.delete(key);
      }
      const running = inFlight.get(key);
      if (running !== undefined) return running;
      const started = (async () => {
        try {
          const outcome = await Promise.resolve().then(load);
          if (outcome.ttlMs > 0) {
            if (stored.size >= maxEntries) {
              const oldest = stored.keys().next();
              if (oldest.done !== true) stored.delete(oldest.value);
            }
            stored.set(key, { outcome, expiresAt: clock.now().getTime() + outcome.ttlMs });
          }
          return settle(outcome);
        } finally {
          inFlight.delete(key);
        }
      })();
      inFlight.set(key, started);
      return started;
    },
    delete(key) {
      stored.delete(key);
    },
  };
}
