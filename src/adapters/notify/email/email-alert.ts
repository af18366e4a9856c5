import type { NotificationMessage } from "../../../domain/notifications.js";
import { messageFacts, oneLine } from "../message-facts.js";

/** Who an alert email is for: a fixed address (the security team) or the caller's manager. */
export type AlertAudience = "team" | "manager";

/**
 * An event as a plain-text email. It carries the same masked facts as a chat message (the caller
 * by name, the address or number a code went to masked, the technician, the ticket, the audit
 * event that proves it) and never a code, a link token or a full number or address.
 *
 * Subjects: `Verity: fraud reported for Jane Doe at Contoso`, `Verity: Jane Doe at Contoso VERIFIED`.
 */
export function alertEmail(message: NotificationMessage, audience: AlertAudience): { subject: string; text: string } {
  const facts = messageFacts(message);
  if (!("verificationId" in message.data)) {
    return { subject: "Verity: test message", text: `${facts.headline}\n\n${facts.facts.map((f) => `${f.title}: ${f.value}`).join("\n")}\n` };
  }
  const d = message.data;
  const caller = oneLine(d.subject.displayName, 100);
  const organisation = oneLine(d.tenant.name, 100);
  const outcome = facts.facts.find((f) => f.title === "Outcome")?.value ?? d.outcome;
  const subject = message.type === "verification.fraud_reported" ? `Verity: fraud reported for ${caller} at ${organisation}` : `Verity: ${caller} at ${organisation} ${outcome}`;
  const lines = [
    facts.headline,
    "",
    ...(audience === "manager" ? [`You receive this as ${caller}'s manager.`, ""] : []),
    ...facts.facts.map((f) => `${f.title}: ${f.value}`),
    ...(message.type === "verification.fraud_reported"
      ? ["", "Someone may be pretending to be this person to the service desk. Nobody was given access through this verification."]
      : []),
    ...(facts.link === null ? [] : ["", `Open in Verity (sign-in required): ${facts.link}`]),
    ...(facts.evidence === null ? [] : ["", facts.evidence]),
  ];
  return { subject, text: `${lines.join("\n")}\n` };
}
