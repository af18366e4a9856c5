import type { RiskSignal } from "./ports.js";

export const POLICY_ACTIONS = ["allow", "warn", "second_method", "block"] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** What to do about each risk signal; signals without a rule use `default`. */
export interface RiskPolicy {
  readonly default: PolicyAction;
  readonly rules: Readonly<Record<string, PolicyAction>>;
}

export interface PolicyDecision {
  readonly action: PolicyAction;
  /** The signals that produced an action other than `allow`, with the action each asked for. */
  readonly reasons: readonly (RiskSignal & { readonly action: PolicyAction })[];
}

const SEVERITY: Record<PolicyAction, number> = { allow: 0, warn: 1, second_method: 2, block: 3 };

/** The most severe action any signal asks for; no signals means `allow`. */
export function decidePolicy(signals: readonly RiskSignal[], policy: RiskPolicy): PolicyDecision {
  let action: PolicyAction = "allow";
  const reasons: (RiskSignal & { action: PolicyAction })[] = [];
  for (const signal of signals) {
    const wanted = policy.rules[signal.code] ?? policy.default;
    if (wanted !== "allow") reasons.push({ ...signal, action: wanted });
    if (SEVERITY[wanted] > SEVERITY[action]) action = wanted;
  }
  return { action, reasons };
}
