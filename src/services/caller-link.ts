import { VerityError } from "../domain/errors.js";
import { checkFormNonce, issueFormNonce, linkChoices, linkTokenMatches, parseLinkRef } from "../domain/caller-link.js";
import { parseMethod } from "../domain/methods.js";
import { statesAccepting, transition, type Verification } from "../domain/verification.js";
import { findVerification } from "../store/verification-dal.js";
import { callerOrganisation, deskName, safeTicket } from "./caller-wording.js";
import { changeVerification, eventBase, type EngineDeps } from "./engine-deps.js";
import { expireIfDue } from "./lifecycle.js";
import { checkFailureLimit } from "./limits.js";

/** What the caller's page shows while the link is live. Nothing in it is secret but the nonce. */
export interface CallerLinkPage {
  readonly organisation: string;
  readonly desk: string;
  /** The technician's name as Verity knows them (the page escapes it). */
  readonly technician: string;
  /** Only a ticket number of a safe shape; null otherwise. */
  readonly ticket: string | null;
  /** The verification's reason, only where the tenant shows it to callers (linkShowsReason). */
  readonly reason: string | null;
  readonly choices: readonly string[];
  readonly nonce: string;
  readonly expiresAt: string;
}

export type CallerAnswer = { readonly answer: "yes"; readonly number: string } | { readonly answer: "no" };

/** How an answer ended the verification. */
export type CallerOutcome = "confirmed" | "wrong_number" | "not_me";

const OPEN = statesAccepting("approved");
/** The caller's own actor id in the audit log: no account, only the link. */
export const CALLER_ACTOR = "caller:link";

const invalid = () => new VerityError("LINK_NOT_VALID");

/**
 * The live verification a reference names, or LINK_NOT_VALID. An unknown id, a wrong or tampered
 * token, a used, expired, cancelled or resent link all look the same, and the token is compared
 * in constant time whether or not the verification exists.
 */
async function liveLink(deps: EngineDeps, ref: string): Promise<{ v: Verification; hash: string }> {
  const parsed = parseLinkRef(ref);
  const found = parsed === null ? undefined : await findVerification(deps.db, parsed.id);
  const matched = linkTokenMatches(deps.keys, parsed?.id ?? "", parsed?.token ?? "", found?.codeHash ?? null);
  if (found === undefined || !matched || parseMethod(found.method).kind !== "link") throw invalid();
  const v = await expireIfDue(deps, found);
  if (!OPEN.includes(v.state) || v.codeHash === null || v.challenge === null) throw invalid();
  return { v, hash: v.codeHash };
}

/** GET: the page's contents. Reading never consumes the link (SMS apps and mail scanners prefetch links). */
export async function openCallerLink(deps: EngineDeps, ref: string): Promise<CallerLinkPage> {
  const { v, hash } = await liveLink(deps, ref);
  const tenant = deps.tenants.get(v.tenantId);
  const organisation = tenant === undefined ? null : callerOrganisation(tenant, { organisation: await directoryOrganisation(deps, v) });
  return {
    organisation: organisation ?? "your organisation",
    desk: deskName(organisation),
    technician: v.technician.slice(0, 80),
    ticket: safeTicket(v.ticket),
    reason: tenant?.settings.linkShowsReason === true && v.reason !== null ? v.reason.slice(0, 200) : null,
    choices: linkChoices(deps.keys, hash, v.challenge ?? ""),
    nonce: issueFormNonce(deps.keys, v.id, hash, deps.clock.now()),
    expiresAt: v.expiresAt,
  };
}

/** A catch-all tenant's caller knows their own organisation, from the directory; only a live link's holder gets here. */
async function directoryOrganisation(deps: EngineDeps, v: Verification): Promise<string | null> {
  const tenant = deps.tenants.get(v.tenantId);
  if (tenant === undefined || !tenant.domains.includes("*")) return null;
  try {
    return (await tenant.directory.findUser(v.subjectId))?.organisation ?? null;
  } catch {
    return null;
  }
}

const ENDINGS = {
  confirmed: { event: "approved", reason: "link_confirmed", action: "link.confirmed", outcome: "verified" },
  wrong_number: { event: "denied", reason: "wrong_number", action: "link.wrong_number", outcome: "rejected" },
  not_me: { event: "denied", reason: "fraud", action: "link.not_me", outcome: "rejected" },
} as const;

/**
 * POST: the caller's one answer. The first answer consumes the link in one conditional update
 * (state open, the same token hash, not expired); a second answer, in sequence or racing, finds
 * the hash gone and gets LINK_NOT_VALID. A wrong number and "not me" count as failures for the
 * caller's lockout (FAILURE_ACTIONS); "not me" is a fraud report.
 * @throws LINK_NOT_VALID, or CSRF_REJECTED when the form's nonce is not one this link's page gave
 */
export async function answerCallerLink(deps: EngineDeps, ref: string, nonce: unknown, answer: CallerAnswer): Promise<CallerOutcome> {
  const { v, hash } = await liveLink(deps, ref);
  if (!checkFormNonce(deps.keys, v.id, hash, nonce, deps.clock.now())) {
    throw new VerityError("CSRF_REJECTED", { message: "This answer did not come from the confirmation page; open the link again." });
  }
  const result: CallerOutcome = answer.answer === "no" ? "not_me" : answer.number === v.challenge ? "confirmed" : "wrong_number";
  // The caller's lockout holds here as at every check: a link sent before too many wrong answers
  // elsewhere cannot verify them now. The refusal is audited and the link stays unanswered.
  const tenant = deps.tenants.get(v.tenantId);
  if (result === "confirmed" && tenant !== undefined) {
    const { result: locked } = await deps.audit.transaction(async (trx, record) => {
      const refusal = await checkFailureLimit(trx, { tenant, subjectId: v.subjectId, settings: tenant.settings, now: deps.clock.now() });
      if (refusal !== null) record({ ...eventBase(v, CALLER_ACTOR), action: "check.refused", outcome: "refused", reason: refusal.code });
      return refusal;
    });
    if (locked !== null) {
      throw new VerityError("SUBJECT_LOCKED", {
        message: "This confirmation cannot be accepted now. Tell the service desk: they will check your identity another way.",
      });
    }
  }
  const ending = ENDINGS[result];
  const now = deps.clock.now().toISOString();
  const after = await changeVerification(
    deps,
    v.id,
    { states: OPEN, codeHash: hash, notExpiredAt: now },
    { state: transition(v.state, ending.event), state_reason: ending.reason, code_hash: null, completed_at: now, updated_at: now, addAttempt: true },
    (a) => [
      {
        ...eventBase(a, CALLER_ACTOR),
        action: ending.action,
        outcome: ending.outcome,
        reason: ending.reason,
        data: { by: `${a.subjectName} (on the confirmation link)` },
      },
    ],
  );
  if (after === undefined) throw invalid();
  return result;
}
