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

/**
 * Signals a channel raises about the destination itself before anything is sent (Twilio Lookup
 * for SMS): SECURITY.md A2 #9–#11, a code proves possession of a phone only when it goes to a
 * mobile line whose SIM did not just change.
 */
export const DESTINATION_SIGNALS = {
  voip: "number_voip",
  notMobile: "number_not_mobile",
  invalid: "number_invalid",
  simSwap: "sim_swap_recent",
  unavailable: "number_check_unavailable",
} as const;

/**
 * Rules every tenant starts from, beneath its own `policy.rules`: destination signals block, and a
 * check that could not be made blocks too (fail closed) unless the tenant says otherwise, for
 * example `number_check_unavailable: warn`.
 */
export const BUILT_IN_RULES: Readonly<Record<string, PolicyAction>> = Object.fromEntries(Object.values(DESTINATION_SIGNALS).map((code) => [code, "block"]));

/** A tenant's configured policy on top of the built-in rules. */
export function withBuiltInRules(policy: RiskPolicy): RiskPolicy {
  return { default: policy.default, rules: { ...BUILT_IN_RULES, ...policy.rules } };
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
