import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../../domain/ports.js";
import { readRateLimit, type RateLimitReading } from "./okta-rate-limit.js";

/** Reset is whole seconds; waiting this much past it avoids landing in the old window. */
const PAST_RESET_MS = 1000;

export interface OktaPacer {
  /**
   * Resolves when a call may be sent: at once while the last answers left budget, after a short
   * wait (at most `maxWaitMs`) when the budget is spent but the window resets soon.
   * @returns undefined, or the whole seconds to wait when the window resets later than that (send nothing)
   */
  ready(): Promise<number | undefined>;
  /** Records what an answer's X-Rate-Limit-* headers said. */
  observe(headers: Readonly<Record<string, string>>): void;
}

/**
 * Holds calls back once Okta says the budget is spent (`X-Rate-Limit-Remaining: 0`) until
 * `X-Rate-Limit-Reset`, instead of spending calls on answers that can only be 429. Answers that
 * arrive together are merged: the latest window wins, and within one window the lowest
 * Remaining. The wait is counted on this server's clock from when the answer arrived, so a skew
 * between Okta's Date and ours does not stretch it.
 */
export function createOktaPacer(clock: Clock, maxWaitMs: number): OktaPacer {
  let last: { reading: RateLimitReading; seenAtMs: number } | undefined;
  const waitMs = (): number => {
    if (last === undefined || last.reading.remaining > 0) return 0;
    const elapsed = clock.now().getTime() - last.seenAtMs;
    return Math.max(0, last.reading.resetAtMs - last.reading.nowMs + PAST_RESET_MS - elapsed);
  };
  return {
    async ready() {
      const wait = waitMs();
      if (wait === 0) return undefined;
      if (wait > maxWaitMs) return Math.ceil(wait / 1000);
      await sleep(wait);
      return undefined;
    },
    observe(headers) {
      const nowMs = clock.now().getTime();
      const reading = readRateLimit(headers, nowMs);
      if (reading === undefined) return;
      const newer = last === undefined || reading.resetAtMs > last.reading.resetAtMs;
      const lower = last !== undefined && reading.resetAtMs === last.reading.resetAtMs && reading.remaining < last.reading.remaining;
      if (newer || lower) last = { reading, seenAtMs: nowMs };
    },
  };
}
