import type { VerificationView } from "../../services/views.js";

/** What each provider's app is called by the people holding it. */
const APPS: Record<string, string> = {
  vip: "VIP Access",
  duo: "Duo Mobile",
  okta: "Okta Verify",
  entra: "Microsoft Authenticator",
  simulated: "the demo authenticator",
};

/** A method as a technician reads it: "Text message (SMS) code", "Push to Okta Verify". */
export function methodLabel(method: string): string {
  if (method === "sms") return "Text message (SMS) code";
  if (method === "email") return "Email code";
  const provider = method.replace(/-(push|passcode)$/, "");
  const app = APPS[provider] ?? provider;
  return method.endsWith("-push") ? `Push to ${app}` : `Code from ${app}`;
}

/**
 * Which method to offer first: a push (the caller approves in an app they hold, with number
 * matching where the provider has it), then a provider's code, then our own codes; SMS, which
 * can be intercepted or SIM-swapped, last.
 */
export function methodRank(method: string): number {
  if (method.endsWith("-push")) return 0;
  if (method.endsWith("-passcode")) return 1;
  return method === "email" ? 2 : 3;
}

/** The outcome in one word a person cannot misread, never colour alone. */
export function outcomeWord(v: Pick<VerificationView, "state" | "stateReason" | "methodKind">): { word: string; kind: string } {
  switch (v.state) {
    case "verified":
      return { word: "VERIFIED", kind: "verified" };
    case "rejected":
      if (v.stateReason === "fraud") return { word: "FRAUD REPORTED", kind: "fraud" };
      return v.methodKind === "push" ? { word: "DENIED", kind: "denied" } : { word: "REJECTED", kind: "rejected" };
    case "expired":
      return { word: "EXPIRED", kind: "expired" };
    case "cancelled":
      return { word: "CANCELLED", kind: "cancelled" };
    case "failed":
      return { word: "FAILED", kind: "failed" };
    default:
      return { word: "WAITING", kind: "pending" };
  }
}

export const utc = (iso: string | null): string => (iso === null ? "—" : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
