/**
 * Okta's rate-limit headers, read as pure decisions. Every Okta answer carries
 * `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (UTC epoch seconds);
 * once Remaining reaches 0 Okta answers 429 E0000047 until Reset.
 */

export interface RateLimitReading {
  readonly limit: number | undefined;
  readonly remaining: number;
  /** When the window resets, in ms since the epoch (Okta's clock). */
  readonly resetAtMs: number;
  /** Okta's "now": the answer's Date header, else our clock. */
  readonly nowMs: number;
}

/** Above this share of the limit, polling runs at its normal pace. */
const LOW_SHARE = 0.5;
/** Calls kept back for starts, lookups and passcode checks (other pushes, other instances). */
const RESERVE_SHARE = 0.1;
/** Never wait longer than this between polls, whatever the headers say. */
export const MAX_POLL_DELAY_MS = 60_000;
/** Reset is whole seconds; waiting this much past it avoids landing in the old window. */
const PAST_RESET_MS = 1000;

/** The rate-limit state of one answer, or undefined when it carried no usable headers. */
export function readRateLimit(headers: Readonly<Record<string, string>>, clockNowMs: number): RateLimitReading | undefined {
  const remaining = wholeNumber(headers["x-rate-limit-remaining"]);
  const reset = wholeNumber(headers["x-rate-limit-reset"]);
  if (remaining === undefined || reset === undefined) return undefined;
  const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
  return {
    limit: wholeNumber(headers["x-rate-limit-limit"]),
    remaining,
    resetAtMs: reset * 1000,
    nowMs: Number.isNaN(date) ? clockNowMs : date,
  };
}

/**
 * How long to wait before the next poll so the remaining budget lasts until Reset. Undefined
 * while the budget is comfortable (the provider's normal interval applies). Once Remaining falls
 * below half the limit, the calls left (less a reserve) are spread over the time to Reset, so
 * the wait grows as Remaining falls; with nothing spare it waits until just after Reset.
 */
export function pollDelayMs(reading: RateLimitReading | undefined, baseMs: number): number | undefined {
  if (reading === undefined) return undefined;
  const { limit, remaining } = reading;
  const low = limit === undefined || limit <= 0 ? remaining < 20 : remaining < limit * LOW_SHARE;
  if (!low) return undefined;
  const untilReset = Math.max(0, reading.resetAtMs - reading.nowMs);
  const reserve = limit === undefined || limit <= 0 ? 2 : Math.max(1, Math.ceil(limit * RESERVE_SHARE));
  const spare = remaining - reserve;
  const delay = spare <= 0 ? untilReset + PAST_RESET_MS : Math.max(baseMs, Math.ceil(untilReset / spare));
  return Math.min(MAX_POLL_DELAY_MS, Math.max(baseMs, delay));
}

/** Whole seconds until the window resets (at least 1), for Retry-After on a 429. */
export function secondsUntilReset(reading: RateLimitReading | undefined): number | undefined {
  if (reading === undefined) return undefined;
  return Math.min(MAX_POLL_DELAY_MS / 1000, Math.max(1, Math.ceil((reading.resetAtMs - reading.nowMs) / 1000)));
}

function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}
