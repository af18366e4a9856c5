import { OUTCOME_WORDS, type NotificationMessage, type NotificationOutcome, type VerificationEventData } from "../../domain/notifications.js";

/** A chat message's content, before Teams or Slack shapes it. Every value is plain text. */
export interface MessageFacts {
  readonly headline: string;
  /** `good` (verified), `attention` (fraud, denied, rejected, failed) or `neutral`. */
  readonly tone: "good" | "attention" | "neutral";
  readonly facts: readonly { readonly title: string; readonly value: string }[];
  /** The audit event that proves it, for the message's small print. */
  readonly evidence: string | null;
  readonly link: string | null;
}

const TONES: Readonly<Record<NotificationOutcome, MessageFacts["tone"]>> = {
  verified: "good",
  fraud: "attention",
  denied: "attention",
  rejected: "attention",
  failed: "attention",
  expired: "neutral",
  cancelled: "neutral",
};

/** Verity's reason codes in a technician's words; anything else (a cancel's own words) shown as recorded. */
const REASON_WORDS: Readonly<Record<string, string>> = {
  timed_out: "no answer before it expired",
  too_many_attempts: "too many wrong codes",
  fraud: "the caller's app reported the request as fraud",
  denied: "the caller denied the request in their app",
};

/** Who reported the fraud, by the method that carried the report. */
function fraudWords(method: string): string {
  if (method === "manager-approval") return "the manager did not approve, or knew nothing of the request";
  if (method.endsWith("-link")) return 'the caller answered "No, this is not me" on the confirmation link';
  return REASON_WORDS.fraud ?? "fraud";
}

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/** One line of plain text: control characters and line breaks become spaces, and it is cut short. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function ticketNote(ticket: NonNullable<VerificationEventData["ticket"]>): string {
  if (ticket.system === null) return "(a reference: no ticketing system)";
  const system = oneLine(ticket.system, 60);
  return ticket.confirmed ? `(${system})` : `(${system}, not yet confirmed as the caller's ticket)`;
}

export function messageFacts(message: NotificationMessage): MessageFacts {
  if (!("verificationId" in message.data)) {
    return { headline: "Verity test message", tone: "neutral", facts: [{ title: "Message", value: oneLine(message.data.message) }], evidence: null, link: null };
  }
  const d: VerificationEventData = message.data;
  const caller = oneLine(d.subject.displayName, 100);
  const byManager = d.method === "manager-approval";
  const headline =
    message.type !== "verification.fraud_reported"
      ? `Caller ${OUTCOME_WORDS[d.outcome]}: ${caller}`
      : byManager
        ? `Fraud alert: ${caller}'s manager did not approve a request made in ${caller}'s name`
        : `Fraud alert: ${caller} reported a verification request as not theirs`;
  const why = d.reason === null ? null : d.reason === "fraud" ? fraudWords(d.method) : (REASON_WORDS[d.reason] ?? d.reason.replace(/_/g, " "));
  const ticket = d.ticket === null ? null : `${oneLine(d.ticket.id, 60)} ${ticketNote(d.ticket)}`;
  const facts = [
    { title: "Outcome", value: OUTCOME_WORDS[d.outcome] },
    ...(d.outcome === "verified" || why === null ? [] : [{ title: "Why", value: oneLine(why, 150) }]),
    { title: "Caller", value: caller },
    { title: "Organisation", value: oneLine(d.tenant.name, 100) },
    ...(ticket === null ? [] : [{ title: "Ticket", value: ticket }]),
    { title: "Method", value: oneLine(d.methodLabel, 100) },
    ...(d.sentTo === null ? [] : [{ title: "Sent to", value: oneLine(d.sentTo, 60) }]),
    { title: "Technician", value: oneLine(d.technician, 100) },
    { title: "When", value: utc(d.at) },
  ];
  return {
    headline,
    tone: message.type === "verification.fraud_reported" ? "attention" : TONES[d.outcome],
    facts,
    evidence: `Verity audit event #${d.evidence.seq} · ${d.evidence.auditEventId} · hash ${d.evidence.hash}`,
    link: d.link,
  };
}
