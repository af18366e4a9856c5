/** One Okta rate-limit bucket: `limit` calls per window, reported in X-Rate-Limit-* headers. */
export interface RateBucket {
  /** Spends one call; false when the window's budget is gone (the caller answers 429). */
  take(): boolean;
  headers(): Record<string, string>;
  setRemaining(remaining: number): void;
}

/** A fixed-window bucket timed by the fake's clock; Reset is the window's end in epoch seconds. */
export function createRateBucket(limit: number, windowMs: number, now: () => number): RateBucket {
  let start = now();
  let remaining = limit;
  const roll = () => {
    const at = now();
    if (at >= start + windowMs) {
      start = at;
      remaining = limit;
    }
  };
  return {
    take() {
      roll();
      if (remaining <= 0) return false;
      remaining -= 1;
      return true;
    },
    headers() {
      roll();
      return {
        "x-rate-limit-limit": String(limit),
        "x-rate-limit-remaining": String(remaining),
        "x-rate-limit-reset": String(Math.ceil((start + windowMs) / 1000)),
      };
    },
    setRemaining(value) {
      roll();
      remaining = Math.max(0, Math.min(limit, value));
    },
  };
}
