import { createHmac, timingSafeEqual } from "node:crypto";
import type { ProbeResult } from "./ports.js";

/**
 * Identity proofing with Microsoft Entra Verified ID and Face Check (issue 12): the port the
 * engine uses and the rules that turn a Request Service callback into an outcome. Nothing here
 * keeps a photo, a claim or a credential: an outcome carries only a score or a reason.
 */

/** Who the presented credential must belong to: the directory user being verified. */
export interface PresentationSubject {
  readonly upn: string;
  readonly mail?: string | null;
}

/** A presentation request the Request Service created: the wallet link and its end. */
export interface StartedPresentation {
  readonly requestId: string;
  /** The `openid-vc://` deep link (also the QR code's content). */
  readonly url: string;
  readonly expiresAt: string;
}

/** One credential of a `presentation_verified` callback, reduced to what the checks read. */
export interface PresentedCredential {
  readonly issuer: string;
  readonly types: readonly string[];
  /** `credentialState.revocationStatus` (VALID, REVOKED…), or null when the callback had none. */
  readonly revocationStatus: string | null;
  /** The subject claims the checks compare: `revocationId` (the UPN in VerifiedEmployee) and `mail`. */
  readonly revocationId: string | null;
  readonly mail: string | null;
  /** `faceCheck.matchConfidenceScore`, or null when the callback had none. */
  readonly score: number | null;
}

/** A callback body after parsing (adapters/verified-id reads the vendor's JSON into this). */
export type PresentationCallback =
  | { readonly status: "request_retrieved"; readonly requestId: string; readonly state: string }
  | { readonly status: "presentation_verified"; readonly requestId: string; readonly state: string; readonly credentials: readonly PresentedCredential[] }
  | { readonly status: "presentation_error"; readonly requestId: string; readonly state: string; readonly errorCode: string };

/** What Verity knows of the request it is waiting for (from the verification row). */
export interface PendingPresentation {
  readonly requestId: string;
  /** The opaque state Verity sent with the request. */
  readonly state: string;
  readonly subject: PresentationSubject;
}

/** Why a presentation did not verify the caller. */
export type PresentationRejection =
  | "presentation_error"
  | "wrong_credential_type"
  | "issuer_not_accepted"
  | "credential_not_valid"
  | "no_face_check"
  | "score_below_threshold"
  | "subject_unreadable"
  | "other_subject";

/** Why a callback was not taken at all (it changes nothing). */
export type CallbackRefusal = "unknown_request" | "state_mismatch";

export type PresentationOutcome =
  | { readonly kind: "refused"; readonly reason: CallbackRefusal }
  | { readonly kind: "retrieved" }
  | { readonly kind: "verified"; readonly score: number }
  | {
      readonly kind: "rejected";
      readonly reason: PresentationRejection;
      /** A presented credential of another person: a fraud report. */
      readonly fraud: boolean;
      /** The Request Service's error code (`presentation_error` only). */
      readonly errorCode?: string;
    };

/** The rules a judgement applies, from the provider's configuration. */
export interface PresentationRules {
  readonly credentialType: string;
  readonly acceptedIssuers: readonly string[];
  readonly matchConfidenceThreshold: number;
}

/**
 * A Verified ID service (the Request Service of one Entra tenant).
 * `createPresentation` never reaches the caller by itself: it returns a link to show them.
 */
export interface IdentityProofingService {
  readonly name: string;
  /** DEVELOPMENT ONLY services (the demo's simulated Request Service) are labelled everywhere. */
  readonly developmentOnly: boolean;
  readonly rules: PresentationRules;
  /**
   * Asks the Request Service for a presentation of the subject's credential with Face Check.
   * @throws UPSTREAM_AUTH_FAILED (credentials, permission, consent), PROVIDER_ERROR (a refused
   * request), PROVIDER_UNAVAILABLE (unreachable, throttled or failing; retryable)
   */
  createPresentation(input: { readonly state: string; readonly subject: PresentationSubject; readonly callbackUrl: string }): Promise<StartedPresentation>;
  /** Whether a callback's headers carry this service's api-key (compared in constant time). */
  authenticateCallback(headers: Readonly<Record<string, string | string[] | undefined>>): boolean;
  /** @throws VALIDATION_FAILED when the body is not a Request Service presentation callback */
  readCallback(body: unknown): PresentationCallback;
  probe?(): Promise<ProbeResult>;
  close(): Promise<void>;
}

/** Constant-time equality of two strings (of any lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  // Compare equal-length buffers either way, so the time says nothing about the expected length.
  const padded = Buffer.alloc(b.length);
  a.copy(padded, 0, 0, Math.min(a.length, b.length));
  return timingSafeEqual(padded, b) && a.length === b.length;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Whose credential it is. `revocationId` carries the UPN in a VerifiedEmployee credential
 * (Microsoft's VerifiedEmployee claims schema); `mail` is the fallback when a credential has no
 * `revocationId` (UNCONFIRMED that this happens). "other" only when a readable claim names
 * someone else, so a credential without subject claims is not reported as fraud.
 */
export function subjectOf(credential: PresentedCredential, subject: PresentationSubject): "match" | "other" | "unreadable" {
  if (credential.revocationId !== null) return same(credential.revocationId, subject.upn) ? "match" : "other";
  if (credential.mail !== null) {
    const known = [subject.mail, subject.upn].filter((m): m is string => typeof m === "string" && m !== "");
    return known.some((m) => same(m, credential.mail ?? "")) ? "match" : "other";
  }
  return "unreadable";
}

/**
 * Turns an authenticated callback into an outcome. The request must be the one pending (its id
 * and, in constant time, its state); then a verified presentation must hold exactly the requested
 * credential type from an accepted issuer, not revoked, of the subject, with a Face Check score at
 * or above the threshold, whatever the status says. The subject is checked before the score, so a
 * credential of someone else is reported as fraud even when its face check failed.
 */
export function judgePresentation(callback: PresentationCallback, pending: PendingPresentation | undefined, rules: PresentationRules): PresentationOutcome {
  if (pending === undefined || pending.requestId !== callback.requestId) return { kind: "refused", reason: "unknown_request" };
  if (!sameSecret(callback.state, pending.state)) return { kind: "refused", reason: "state_mismatch" };
  if (callback.status === "request_retrieved") return { kind: "retrieved" };
  if (callback.status === "presentation_error") return { kind: "rejected", reason: "presentation_error", fraud: false, errorCode: callback.errorCode };
  const reject = (reason: PresentationRejection, fraud = false): PresentationOutcome => ({ kind: "rejected", reason, fraud });
  const credential = callback.credentials.find((c) => c.types.includes(rules.credentialType));
  if (credential === undefined || callback.credentials.length !== 1) return reject("wrong_credential_type");
  if (!rules.acceptedIssuers.includes(credential.issuer)) return reject("issuer_not_accepted");
  const subject = subjectOf(credential, pending.subject);
  if (subject === "other") return reject("other_subject", true);
  if (subject === "unreadable") return reject("subject_unreadable");
  if (credential.revocationStatus !== "VALID") return reject("credential_not_valid");
  if (credential.score === null) return reject("no_face_check");
  if (!(credential.score >= rules.matchConfidenceThreshold)) return reject("score_below_threshold");
  return { kind: "verified", score: credential.score };
}

/** A score kept as evidence: two decimals are plenty, and no more of the vendor's number leaks. */
export const roundScore = (score: number): number => Math.round(score * 100) / 100;

/**
 * The opaque `state` sent with a presentation request: a keyed hash of the verification and its
 * live link, so nothing extra is stored, it survives a restart, every instance sharing the hash
 * key can check it, and it dies with the link (a resent link, a used one).
 */
export function presentationState(linkKey: Buffer, verificationId: string, linkHash: string): string {
  return createHmac("sha256", linkKey).update(`verified-id-state\u0000${verificationId}\u0000${linkHash}`).digest("base64url");
}
