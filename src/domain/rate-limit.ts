/**
 * Pure rate-limit decisions, kept apart from where the counts come from (the store for limits
 * that must hold across instances, memory for per-instance request limits).
 */
export interface LimitRule {
  readonly max: number;
  readonly windowSeconds: number;
}

export type LimitDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * @param recent the times of the events counted by the rule, any order
 * @param now the current time
 */
export function decideLimit(rule: LimitRule, recent: readonly Date[], now: Date): LimitDecision {
  const windowStart = now.getTime() - rule.windowSeconds * 1000;
  const inWindow = recent.map((d) => d.getTime()).filter((t) => t > windowStart).sort((a, b) => a - b);
  if (inWindow.length < rule.max) return { allowed: true };
  const oldestThatMustExpire = inWindow[inWindow.length - rule.max] ?? now.getTime();
  const retryAfterMs = oldestThatMustExpire + rule.windowSeconds * 1000 - now.getTime();
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/**
 * The same decision from a count: `count` events in the window, the `rule.max`-th newest of them
 * at `nthNewest` (the one that must leave the window before another is allowed).
 */
export function decideCount(rule: LimitRule, count: number, nthNewest: Date | undefined, now: Date): LimitDecision {
  if (count < rule.max) return { allowed: true };
  const leavesAt = (nthNewest?.getTime() ?? now.getTime()) + rule.windowSeconds * 1000;
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((leavesAt - now.getTime()) / 1000)) };
}

/** "Try again in 12 minutes (at 22:15 UTC)." for a person deciding when to retry. */
export function retryAdvice(retryAfterSeconds: number, now: Date): string {
  const at = new Date(now.getTime() + retryAfterSeconds * 1000);
  const minutes = Math.ceil(retryAfterSeconds / 60);
  const span =
    retryAfterSeconds < 60
      ? `${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}`
      : minutes < 120
        ? `${minutes} minute${minutes === 1 ? "" : "s"}`
        : `${Math.round(minutes / 60)} hours`;
  return `Try again in ${span} (at ${at.toISOString().slice(11, 16)} UTC).`;
}
