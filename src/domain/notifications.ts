import type { MethodKind } from "./methods.js";
import type { VerificationState } from "./verification.js";

/**
 * Outbound events: what Verity tells a webhook receiver, a Teams channel or a Slack channel when a
 * verification ends or a caller reports fraud. The type strings are a public contract.
 */
export const NOTIFICATION_EVENT_TYPES = ["verification.completed", "verification.fraud_reported"] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** Sent only by an administrator's "Test connection"; never filtered out, never queued. */
export const TEST_EVENT_TYPE = "verity.test";

/**
 * A verification's ending in one word: the same words the web app shows (outcomeWord), so a
 * receiver, a chat message and the history page never disagree.
 */
export const NOTIFICATION_OUTCOMES = ["verified", "denied", "rejected", "fraud", "expired", "cancelled", "failed"] as const;
export type NotificationOutcome = (typeof NOTIFICATION_OUTCOMES)[number];

export function outcomeOf(v: { state: VerificationState; stateReason: string | null; methodKind: MethodKind }): NotificationOutcome | null {
  switch (v.state) {
    case "verified":
    case "expired":
    case "cancelled":
    case "failed":
      return v.state;
    case "rejected":
      if (v.stateReason === "fraud") return "fraud";
      return v.methodKind === "push" ? "denied" : "rejected";
    default:
      return null;
  }
}

/** What a person reads first: "VERIFIED", "FRAUD REPORTED"… never colour alone. */
export const OUTCOME_WORDS: Readonly<Record<NotificationOutcome, string>> = {
  verified: "VERIFIED",
  denied: "DENIED",
  rejected: "REJECTED",
  fraud: "FRAUD REPORTED",
  expired: "EXPIRED",
  cancelled: "CANCELLED",
  failed: "FAILED",
};

/**
 * The `data` of an event. It names the caller by display name and directory id; a phone number
 * or email only masked (`sentTo`); never a code, a passcode or a capability link.
 */
export interface VerificationEventData {
  readonly verificationId: string;
  readonly tenant: { readonly id: string; readonly name: string };
  readonly outcome: NotificationOutcome;
  /** Why, as Verity recorded it (`code_matched`, `timed_out`, a cancel's reason…). */
  readonly reason: string | null;
  /** The method id (`sms`, `duo-push`) and the words the web app uses for it. */
  readonly method: string;
  readonly methodLabel: string;
  /**
   * Null when the verification named no ticket. `system` is the ticketing system (by configured
   * name) the ticket is in, null when it is only a reference; `confirmed` says whether that system
   * confirmed the ticket is this caller's.
   */
  readonly ticket: { readonly id: string; readonly system: string | null; readonly confirmed: boolean } | null;
  /** Where a code was sent, masked as the web app shows it (`+44 •••• ••0001`); null for a push or an app code. */
  readonly sentTo: string | null;
  readonly subject: { readonly displayName: string; readonly directoryId: string };
  readonly technician: string;
  /** When the ending was recorded (the audit event's time), ISO 8601 UTC. */
  readonly at: string;
  /** The audit event that recorded it: match it with `verity audit verify` or the history page. */
  readonly evidence: { readonly auditEventId: string; readonly seq: number; readonly hash: string; readonly action: string };
  /** `${server.publicUrl}/history/<id>` (sign-in required), or null without a public URL. */
  readonly link: string | null;
}

/** The JSON body every destination is built from (Standard Webhooks' recommended shape). */
export interface NotificationMessage {
  readonly type: NotificationEventType | typeof TEST_EVENT_TYPE;
  /** ISO 8601 UTC: when the event happened (not when this attempt was made). */
  readonly timestamp: string;
  readonly data: VerificationEventData | { readonly message: string };
}

/** What became of one delivery attempt that got an answer Verity can act on. */
export type DeliveryOutcome = "delivered" | "gone";

/**
 * Where events go: a Standard Webhooks receiver, a Teams workflow, a Slack incoming webhook, an
 * email address (or the caller's manager) through one of Verity's email channels.
 * `deliver` resolves "delivered" on success and "gone" when the destination said it no longer
 * exists (410); it rejects with NOTIFICATION_FAILED (retry later, maybe after
 * `retryAfterSeconds`) or NOTIFICATION_REFUSED (the destination will never take this message).
 */
export interface Notifier {
  readonly kind: "webhook" | "teams" | "slack" | "email";
  /** How it is named in logs, audit events and pages: never more of the URL than its origin. */
  readonly label: string;
  /**
   * @param messageId stable across retries of one message (Standard Webhooks' `webhook-id`).
   * @param now this attempt's time (a webhook's `webhook-timestamp`).
   */
  deliver(message: NotificationMessage, attempt: { readonly messageId: string; readonly now: Date }): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}
