import { OUTCOME_WORDS, outcomeOf } from "../../domain/notifications.js";
import type { VerificationView } from "../../services/views.js";

export { methodLabel } from "../../domain/methods.js";

/**
 * Which method to offer first: a push (the caller approves in an app they hold, with number
 * matching where the provider has it), then a provider's code, then our own codes; SMS, which
 * can be intercepted or SIM-swapped, last.
 */
export function methodRank(method: string): number {
  if (method.endsWith("-push")) return 0;
  if (method.endsWith("-passcode")) return 1;
  if (method.endsWith("-link")) return 2;
  return method === "email" ? 2 : 3;
}

/** The outcome in one word a person cannot misread, never colour alone. */
export function outcomeWord(v: Pick<VerificationView, "state" | "stateReason" | "methodKind">): { word: string; kind: string } {
  const outcome = outcomeOf(v);
  return outcome === null ? { word: "WAITING", kind: "pending" } : { word: OUTCOME_WORDS[outcome], kind: outcome };
}

export const utc = (iso: string | null): string => (iso === null ? "—" : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
