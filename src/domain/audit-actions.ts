/**
 * Audit actions that move a verification to a final state. The earliest of them for a
 * verification is the one that ended it (a send that fails after a cancel is still recorded,
 * under the same action), and it is the receipt the API returns.
 */
export const ENDING_ACTIONS = [
  "check.accepted",
  "check.confirmed",
  "check.mismatch",
  "verification.rejected",
  "push.approved",
  "link.confirmed",
  "link.wrong_number",
  "link.not_me",
  "faceid.verified",
  "faceid.rejected",
  "faceid.failed",
  "faceid.other_subject",
  "approval.approved",
  "approval.denied",
  "signin.verified",
  "signin.rejected",
  "signin.wrong_user",
  "push.denied",
  "push.fraud_reported",
  "push.timed_out",
  "push.failed",
  "verification.expired",
  "verification.cancelled",
  "message.send_failed",
  "push.send_failed",
  "message.status_failed",
  "verification.failed",
] as const;

/**
 * Endings that are a fraud report: a push answered as fraud, "not me" on a confirmation link, a
 * sign-in by someone other than the caller, a manager who does not approve (or knows nothing of
 * the request). Each flags the caller for 24
 * hours (the verification's state reason is `fraud`) and raises `verification.fraud_reported`.
 */
export const FRAUD_REPORT_ACTIONS: readonly string[] = ["push.fraud_reported", "link.not_me", "signin.wrong_user", "approval.denied", "faceid.other_subject"];

/**
 * The endings a ticket hears about in a result note. A verification that failed while waiting
 * for the ticketing system is left out: its integration posts its own note saying why.
 */
export const RESULT_NOTE_ACTIONS: readonly string[] = ENDING_ACTIONS.filter((a) => a !== "verification.failed");
