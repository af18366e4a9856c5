import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { escapeHtml } from "../domain/html.js";
import type { Kysely } from "kysely";
import type { Verification } from "../domain/verification.js";
import type { Database } from "../store/schema.js";
import { achievedAssurance, findSecondMethod } from "./second-method.js";
import { assuranceLabel, assuranceOf, stillNeeded } from "../domain/assurance.js";

const e = escapeHtml;
const METHOD_WORDS: Record<string, string> = {
  sms: "SMS code",
  email: "email code",
  "sms-link": "confirmation link by SMS",
  "email-link": "confirmation link by email",
  "sms-signin": "sign-in at the identity provider, link by SMS",
  "email-signin": "sign-in at the identity provider, link by email",
  "sms-faceid": "Verified ID with Face Check, link by SMS",
  "email-faceid": "Verified ID with Face Check, link by email",
  "manager-approval": "approval by the manager, by email",
};

function methodWords(v: Verification): string {
  const words = METHOD_WORDS[v.method] ?? (v.method.endsWith("-push") ? `${v.method.slice(0, -5)} push` : `${v.method.slice(0, -9)} passcode`);
  return v.destinationMasked === null ? words : `${words} to ${v.destinationMasked}`;
}

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

function footer(event: ChainedAuditEvent): string {
  return `<p><small>Verity audit event #${event.seq} · ${e(event.id)}<br>hash ${e(event.hash)}</small></p>`;
}

/** Where a note's link to the verification page goes until the note is posted. */
const LINK_SLOT = "verity:link-slot";

/** Puts the page link (made at posting time) into a note, or drops the link when there is none. */
export function fillLink(html: string, link: string | null): string {
  if (!html.includes(LINK_SLOT)) return html;
  return link === null ? html.replace(/ <a href="verity:link-slot">[^<]*<\/a>\./, "") : html.replaceAll(LINK_SLOT, e(link));
}

/** The note that tells agents a check has begun: who, how, where to finish it. No code, no full number. */
export function sentNote(v: Verification, event: ChainedAuditEvent, linkEnabled: boolean): string {
  const risk = v.risk.signals.length === 0 ? "none" : v.risk.signals.map((s) => `${s.detail} (policy: ${s.action.replace("_", " ")})`).join("; ");
  const ambiguous = event.action === "message.delivery_unknown";
  const next =
    v.method === "manager-approval"
      ? `${e(v.subjectName)}'s manager was emailed a link to approve; the answer appears here.`
      : v.method.endsWith("-link")
      ? `Ask ${e(v.subjectName)} to open the link and pick the number <b>${e(v.challenge ?? "")}</b> you read out.`
      : v.method.endsWith("-push")
      ? `Ask ${e(v.subjectName)} to approve the prompt${v.challenge === null ? "" : `; read them the number <b>${e(v.challenge)}</b> to choose or type in their app`}.`
      : "Ask the caller to read the code back, then enter it in Verity.";
  return [
    `<p><b>Verity identity check started</b>${ambiguous ? " (delivery not confirmed by the provider: ask the caller, resend if they have nothing)" : ""}</p>`,
    "<ul>",
    `<li>Caller account: ${e(v.subjectName)}</li>`,
    `<li>Method: ${e(methodWords(v))}</li>`,
    `<li>Requested by: ${e(v.technician)}</li>`,
    `<li>Risk flags: ${e(risk)}</li>`,
    v.risk.assurance === undefined ? "" : `<li>Policy requires: ${e(assuranceLabel(v.risk.assurance.level))}${v.risk.assurance.orTwoMethods ? ", or two different methods" : ""}</li>`,
    `<li>Expires: ${e(utc(v.expiresAt))}</li>`,
    "</ul>",
    `<p>${next}${linkEnabled ? ` <a href="${LINK_SLOT}">Open the verification in Verity</a>.` : ""}</p>`,
    footer(event),
  ].join("");
}

const OUTCOMES: Record<string, string> = {
  verified: "VERIFIED",
  rejected: "NOT VERIFIED (rejected)",
  expired: "NOT VERIFIED (expired)",
  cancelled: "NOT VERIFIED (cancelled)",
  failed: "NOT VERIFIED (could not be sent)",
};

/** Who recorded an event, as a person reading the ticket knows them. */
function recordedBy(v: Verification, event: ChainedAuditEvent): string {
  const by = event.data?.by;
  if (typeof by === "string" && by !== "") return by;
  return event.actor === "system" ? "Verity" : v.technician;
}

/** The note with the outcome: what happened, by whom, when, what policy says, and the audit event that proves it. */
export async function resultNote(v: Verification, event: ChainedAuditEvent, db: Kysely<Database>): Promise<string> {
  const outcome = v.state === "failed" && event.action === "push.failed" ? "NOT VERIFIED (the push could not complete)" : (OUTCOMES[v.state] ?? v.state.toUpperCase());
  const why = event.reason ?? v.stateReason ?? event.action;
  let policy = "";
  const level = assuranceOf(v.method, v.challenge, v.evidence);
  const assuranceLine = v.state === "verified" ? `<li>Assurance: ${e(assuranceLabel(level))}</li>` : "";
  const required = v.risk.assurance;
  if (v.state === "verified" && required !== undefined) {
    const missing = stillNeeded(required, await achievedAssurance(db, v));
    policy += missing === null
      ? `<li>Assurance required by policy (${e(assuranceLabel(required.level))}): met.</li>`
      : `<li><b>Policy is NOT yet satisfied: it requires ${e(missing)}.</b></li>`;
  }
  if (v.state === "verified" && v.risk.decision === "second_method") {
    const second = await findSecondMethod(db, v);
    policy =
      second === null
        ? "<li><b>Policy is NOT yet satisfied: it requires a second, different method before acting.</b></li>"
        : `<li>Policy satisfied: a second method (${e(second.method)}, verification ${e(second.id)}) also verified the caller.</li>`;
  }
  return [
    `<p><b>Verity: caller ${e(outcome)}</b></p>`,
    "<ul>",
    `<li>Caller account: ${e(v.subjectName)}</li>`,
    `<li>Method: ${e(methodWords(v))}</li>`,
    `<li>Result: ${e(why.replace(/_/g, " "))}</li>`,
    `<li>Recorded by: ${e(recordedBy(v, event))} at ${e(utc(event.at))}</li>`,
    assuranceLine,
    policy,
    "</ul>",
    footer(event),
  ].join("");
}
