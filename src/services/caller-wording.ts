import type { DirectoryUser } from "../domain/ports.js";
import type { TenantMessages, TenantRuntime } from "./tenant-registry.js";

/**
 * What reaches a caller's phone or inbox. Only the organisation's name, a technician's first name
 * and a ticket number of a safe shape are filled in; free text a technician typed (a reason, a
 * ticket field) never is, so nobody at the desk can word a message such as "IT will phone you
 * now: read this code to them" (issue 9 #14, SECURITY.md attack 29).
 */

export const DEFAULT_MESSAGES: TenantMessages = {
  sms:
    "{code} is your {desk} code ({technician}, {ticket}). " +
    "Only read this code to the service desk if you called them. Never give it to someone who called you.",
  emailSubject: "{desk}: your verification code",
  email: [
    "Hello,",
    "",
    "{technician} at the {desk} is checking your identity ({ticket}).",
    "",
    "Your code is {code}. It works once, for {minutes} minutes.",
    "",
    "Only read this code to the service desk if you called them. Never give it to someone who called you.",
    "If you did not call the service desk, report this message to your IT security team.",
  ].join("\n"),
  pushTitle: "{desk}",
  pushMessage: "{technician} at the service desk is checking your identity ({ticket}). Approve only if you are on a call with them now.",
  link:
    "{desk}: {technician} is checking your identity ({ticket}). If you are on a call with them now, open {link} " +
    "and pick the number they read to you. If you are not, open it and tap \"No, this is not me\".",
  linkEmailSubject: "{desk}: are you on a call with {technician}?",
  faceidLink:
    "{desk}: {technician} is checking your identity ({ticket}) with Microsoft Authenticator and a selfie. If you are on a call with them now, open {link}. " +
    "If you are not, ignore this message and report it to your IT security team.",
  faceidEmailSubject: "{desk}: confirm it is you with Face Check",
  signinLink:
    "{desk}: {technician} is checking your identity ({ticket}). If you are on a call with them now, open {link} " +
    "and sign in to your work account with your passkey or security key. If you are not, do not sign in: report this message to your IT security team.",
  signinEmailSubject: "{desk}: sign in to confirm it is you",
};

/** A caller-page link's message text and email subject, in the words of its kind. */
export function linkWording(messages: TenantMessages, kind: string): { readonly text: string; readonly subject: string } {
  if (kind === "faceid") return { text: messages.faceidLink, subject: messages.faceidEmailSubject };
  if (kind === "signin") return { text: messages.signinLink, subject: messages.signinEmailSubject };
  return { text: messages.link, subject: messages.linkEmailSubject };
}

export interface TemplateVars {
  /** The caller's organisation, or null when it is not known (a catch-all tenant's caller). */
  readonly organisation: string | null;
  readonly technician: string;
  readonly ticket: string | null;
  readonly code?: string;
  readonly minutes?: number;
  /** A confirmation link Verity made (never text a technician typed). */
  readonly link?: string;
}

const STAND_IN = "the service desk";

/**
 * The organisation a caller knows: a catch-all (`*`) tenant serves many organisations, so its
 * callers' own organisation comes from the directory; any other tenant is the organisation.
 */
export function callerOrganisation(tenant: Pick<TenantRuntime, "name" | "domains">, user: Pick<DirectoryUser, "organisation">): string | null {
  if (tenant.domains.includes("*")) return user.organisation?.trim() || null;
  return tenant.name;
}

/** "Contoso service desk"; a name that is already a desk is kept whole; no name: "IT service desk". */
export function deskName(organisation: string | null): string {
  if (organisation === null || organisation.trim() === "") return "IT service desk";
  const name = organisation.trim();
  return /\b(service ?desk|help ?desk)$/i.test(name) ? name : `${name} service desk`;
}

/** A ticket reference of a safe shape (`1042`, `INC0010042`, `T-1042`, `#1042`), else null. */
export function safeTicket(ticket: string | null): string | null {
  return ticket !== null && /^#?[A-Za-z]{0,8}[-#]?\d{1,12}$/.test(ticket.trim()) ? ticket.trim() : null;
}

/** A technician's first name if it looks like one (letters, an apostrophe or a hyphen); else the stand-in. */
export function safeFirstName(name: string): string {
  const first = name.trim().split(/\s+/)[0] ?? "";
  if (/service desk/i.test(name)) return STAND_IN;
  return /^\p{L}[\p{L}\p{M}'’-]{0,29}$/u.test(first) ? first : STAND_IN;
}

/** Fills `{desk}`, `{organisation}`, `{technician}` (first name), `{ticket}`, `{code}`, `{minutes}` and `{link}`. */
export function renderTemplate(template: string, vars: TemplateVars): string {
  const ticket = safeTicket(vars.ticket);
  const values: Record<string, string> = {
    desk: deskName(vars.organisation),
    organisation: vars.organisation ?? "your organisation",
    technician: safeFirstName(vars.technician),
    ticket: ticket === null ? "your call" : `ticket ${ticket}`,
    code: vars.code ?? "",
    minutes: String(vars.minutes ?? ""),
    link: vars.link ?? "",
  };
  return template.replace(/\{(desk|organisation|technician|ticket|code|minutes|link)\}/g, (_m, key: string) => values[key] ?? "");
}

/** The wording of one tenant's message, with only safe values in it. */
export function renderMessage(tenant: TenantRuntime, key: keyof TenantMessages, vars: TemplateVars): string {
  return renderTemplate(tenant.messages[key], vars);
}
