import type { AssuranceLevel, AssuranceRequirement } from "./assurance.js";
import { VerityError } from "./errors.js";

export const VERIFICATION_STATES = [
  "pending",
  "sent",
  "delivery_unknown",
  "verified",
  "rejected",
  "expired",
  "cancelled",
  "failed",
] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<VerificationState> = new Set([
  "verified",
  "rejected",
  "expired",
  "cancelled",
  "failed",
]);

export const isTerminal = (state: VerificationState): boolean => TERMINAL_STATES.has(state);

/**
 * What can happen to a verification. Each event names a fact, not a wish: `delivered` means the
 * channel accepted the message, `delivery_ambiguous` means we cannot tell whether it did.
 */
export type VerificationEvent =
  | "delivered"
  | "delivery_failed"
  | "delivery_ambiguous"
  | "delivery_confirmed"
  | "resend"
  | "approved"
  | "denied"
  | "attempts_exhausted"
  | "expire"
  | "cancel"
  | "fail";

/**
 * The whole life cycle in one table: state → event → next state. Anything absent is illegal.
 * `approved` from delivery_unknown is allowed because a caller who reads back the right code
 * proves the message arrived.
 */
const TRANSITIONS: Readonly<Record<VerificationState, Partial<Record<VerificationEvent, VerificationState>>>> = {
  pending: {
    delivered: "sent",
    delivery_failed: "failed",
    delivery_ambiguous: "delivery_unknown",
    expire: "expired",
    cancel: "cancelled",
    fail: "failed",
  },
  sent: {
    delivery_failed: "failed",
    resend: "pending",
    approved: "verified",
    denied: "rejected",
    attempts_exhausted: "rejected",
    expire: "expired",
    cancel: "cancelled",
    fail: "failed",
  },
  delivery_unknown: {
    delivery_confirmed: "sent",
    delivery_failed: "failed",
    resend: "pending",
    approved: "verified",
    denied: "rejected",
    attempts_exhausted: "rejected",
    expire: "expired",
    cancel: "cancelled",
  },
  verified: {},
  rejected: {},
  expired: {},
  cancelled: {},
  failed: {},
};

/** The next state, or an INVALID_TRANSITION error naming the state and the event. */
export function transition(from: VerificationState, event: VerificationEvent): VerificationState {
  const next = TRANSITIONS[from][event];
  if (next === undefined) {
    throw new VerityError("INVALID_TRANSITION", {
      message: `A ${from} verification cannot take the event '${event}'.`,
      details: { from, event },
    });
  }
  return next;
}

/** Every state from which `event` is legal: the WHERE clause of a conditional update. */
export function statesAccepting(event: VerificationEvent): VerificationState[] {
  return VERIFICATION_STATES.filter((state) => TRANSITIONS[state][event] !== undefined);
}

export const canTake = (from: VerificationState, event: VerificationEvent): boolean =>
  TRANSITIONS[from][event] !== undefined;

/** A verification as the services see it. Holds no code and no full destination. */
export interface Verification {
  readonly id: string;
  readonly tenantId: string;
  readonly subjectId: string;
  readonly subjectName: string;
  readonly method: string;
  readonly state: VerificationState;
  readonly stateReason: string | null;
  readonly technician: string;
  /** The actor id that started it (a token id, `cli:<user>`, an integration). */
  readonly createdBy: string;
  readonly ticket: string | null;
  /**
   * The ticketing system (by configured name) `ticket` is in. Null when the tenant has none: then
   * `ticket` is only a reference.
   */
  readonly ticketSystem: string | null;
  /**
   * When that system confirmed `ticket` belongs to this caller; notes go to it only once it has.
   * Null while unconfirmed (the system was away when the verification started).
   */
  readonly ticketConfirmedAt: string | null;
  readonly reason: string | null;
  /** Keyed hash of the live code; null once used, killed or for provider-checked methods. */
  readonly codeHash: string | null;
  readonly codeLength: number | null;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly sends: number;
  readonly destinationMasked: string | null;
  readonly destinationHash: string | null;
  /** The push provider's transaction reference, opaque to Verity. */
  readonly providerRef: string | null;
  /** A number-matching challenge the technician reads to the caller. */
  readonly challenge: string | null;
  /** The push's title and text when the technician chose them (otherwise the tenant's wording). */
  readonly prompt: { readonly title: string | null; readonly message: string | null } | null;
  readonly risk: RiskSnapshot;
  /**
   * What a caller-page method proved, recorded when it ended (issue 12): the assurance a sign-in
   * reached and its acr/amr evidence, a Face Check score, who approved. Never a token, a photo or a
   * credential. Null for every other method and while nothing is proved.
   */
  readonly evidence: VerificationEvidence | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
  readonly completedAt: string | null;
  readonly version: number;
}

export interface RiskSnapshot {
  readonly decision: "allow" | "warn" | "second_method" | "block";
  readonly signals: readonly { readonly code: string; readonly detail: string; readonly action: string }[];
  /** The assurance policy asked of this caller when the verification started; absent before issue 12 (nothing asked). */
  readonly assurance?: AssuranceRequirement;
}

/** See Verification.evidence. Each method adds only its own part. */
export interface VerificationEvidence {
  /** The level the evidence supports (a sign-in's: phishing-resistant or lower). */
  readonly assurance?: AssuranceLevel;
  /** A sign-in at the caller's identity provider: the provider's name and what its ID token said. */
  readonly signIn?: {
    readonly provider: string;
    readonly issuer: string;
    readonly authTime: string;
    readonly acr?: string;
    readonly acrs?: readonly string[];
    readonly amr?: readonly string[];
    readonly phishingResistant: boolean;
  };
  /** Entra Verified ID with Face Check: only the match confidence score. */
  readonly faceCheck?: { readonly score: number };
  /** Manager approval: who approved, masked. */
  readonly approver?: { readonly name: string; readonly emailMasked: string };
}
