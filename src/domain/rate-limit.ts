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
