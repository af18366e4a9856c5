import { assuranceOf } from "../domain/assurance.js";
import { VerityError } from "../domain/errors.js";
import { checkFormNonce, issueFormNonce, linkChoices, linkTokenMatches, parseLinkRef } from "../domain/caller-link.js";
import { CALLER_PAGE_KINDS, isCallerPageKind, parseMethod, type CallerPageKind } from "../domain/methods.js";
import { statesAccepting, transition, type Verification, type VerificationEvidence } from "../domain/verification.js";
import { findVerification } from "../store/verification-dal.js";
import { callerOrganisation, deskName, safeTicket } from "./caller-wording.js";
import { changeVerification, eventBase, type EngineDeps } from "./engine-deps.js";
import { expireIfDue } from "./lifecycle.js";
import { checkFailureLimit } from "./limits.js";

/** What the caller's page shows while the link is live. Nothing in it is secret but the nonce. */
export interface CallerLinkPage {
  /** Which caller page this is: a confirmation link, a sign-in, Face Check, a manager's approval. */
  readonly kind: CallerPageKind;
  readonly method: string;
  /** The caller's name (the manager's approval page names whom it is about). */
  readonly caller: string;
  readonly organisation: string;
  readonly desk: string;
  /** The technician's name as Verity knows them (the page escapes it). */
  readonly technician: string;
  /** Only a ticket number of a safe shape; null otherwise. */
  readonly ticket: string | null;
  /** The verification's reason, only where the tenant shows it to callers (linkShowsReason). */
  readonly reason: string | null;
  /** The numbers to pick from (a confirmation link only; empty for other kinds). */
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
export async function liveCallerLink(deps: EngineDeps, ref: string, kinds: readonly CallerPageKind[] = CALLER_PAGE_KINDS): Promise<LiveLink> {
  const parsed = parseLinkRef(ref);
  const found = parsed === null ? undefined : await findVerification(deps.db, parsed.id);
  const matched = linkTokenMatches(deps.keys, parsed?.id ?? "", parsed?.token ?? "", found?.codeHash ?? null);
  const kind = found === undefined ? "code" : parseMethod(found.method).kind;
  if (found === undefined || !matched || !isCallerPageKind(kind) || !kinds.includes(kind)) throw invalid();
  const v = await expireIfDue(deps, found);
  if (!OPEN.includes(v.state) || v.codeHash === null || (kind === "link" && v.challenge === null)) throw invalid();
  return { v, hash: v.codeHash, kind };
}

/** A live caller link: its verification, the token hash it was checked against, its kind. */
export interface LiveLink {
  readonly v: Verification;
  readonly hash: string;
  readonly kind: CallerPageKind;
}

/** GET: the page's contents. Reading never consumes the link (SMS apps and mail scanners prefetch links). */
export async function openCallerLink(deps: EngineDeps, ref: string): Promise<CallerLinkPage> {
  const { v, hash, kind } = await liveCallerLink(deps, ref);
  const tenant = deps.tenants.get(v.tenantId);
  const organisation = tenant === undefined ? null : callerOrganisation(tenant, { organisation: await directoryOrganisation(deps, v) });
  return {
    kind,
    method: v.method,
    caller: v.subjectName.slice(0, 120),
    organisation: organisation ?? "your organisation",
    desk: deskName(organisation),
    technician: v.technician.slice(0, 80),
    ticket: safeTicket(v.ticket),
    // A manager deciding whether to approve sees the technician's reason; a caller only where the tenant allows it.
    reason: (kind === "approval" || tenant?.settings.linkShowsReason === true) && v.reason !== null ? v.reason.slice(0, 200) : null,
    choices: v.challenge === null ? [] : linkChoices(deps.keys, hash, v.challenge),
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
  const live = await liveCallerLink(deps, ref, ["link"]);
  assertFormNonce(deps, live, nonce);
  const { v } = live;
  const result: CallerOutcome = answer.answer === "no" ? "not_me" : answer.number === v.challenge ? "confirmed" : "wrong_number";
  await endCallerLink(deps, live, { ...ENDINGS[result], by: `${v.subjectName} (on the confirmation link)` });
  return result;
}

/** The form on a caller page came from that page: its nonce is bound to this link and fresh. */
export function assertFormNonce(deps: EngineDeps, live: LiveLink, nonce: unknown): void {
  if (!checkFormNonce(deps.keys, live.v.id, live.hash, nonce, deps.clock.now())) {
    throw new VerityError("CSRF_REJECTED", { message: "This answer did not come from the confirmation page; open the link again." });
  }
}

/** How a caller page ends its verification. */
export interface CallerLinkEnding {
  /** `approved` verifies; `denied` rejects. */
  readonly event: "approved" | "denied";
  /** The state reason: `fraud` flags the caller for 24 hours and raises a fraud notification. */
  readonly reason: string;
  /** The audit action, e.g. `link.confirmed`, `signin.verified`, `faceid.verified`, `approval.denied`. */
  readonly action: string;
  readonly outcome: "verified" | "rejected";
  /** Who answered, in words, for the audit event (`Jane Doe (on the confirmation link)`). */
  readonly by: string;
  /** What the method proved; stored on the verification and in the audit event. Never a token, photo or credential. */
  readonly evidence?: VerificationEvidence;
  /** More audit data (masked facts only). */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The audit actor; the caller's link by default. */
  readonly actor?: string;
}

/**
 * Ends a live caller link's verification, once: one conditional update (state open, the same token
 * hash, not expired) consumes the link, so a second ending, in sequence or racing, gets
 * LINK_NOT_VALID. An approval is refused (audited as check.refused, SUBJECT_LOCKED) while the
 * caller is locked out, as at every check. Every ending counts an attempt: a rejection counts
 * toward the caller's lockout.
 */
export async function endCallerLink(deps: EngineDeps, live: LiveLink, ending: CallerLinkEnding): Promise<Verification> {
  const { v, hash } = live;
  const actor = ending.actor ?? CALLER_ACTOR;
  // The caller's lockout holds here as at every check: a link sent before too many wrong answers
  // elsewhere cannot verify them now. The refusal is audited and the link stays unanswered.
  const tenant = deps.tenants.get(v.tenantId);
  if (ending.event === "approved" && tenant !== undefined) {
    const { result: locked } = await deps.audit.transaction(async (trx, record) => {
      const refusal = await checkFailureLimit(trx, { tenant, subjectId: v.subjectId, settings: tenant.settings, now: deps.clock.now() });
      if (refusal !== null) record({ ...eventBase(v, actor), action: "check.refused", outcome: "refused", reason: refusal.code });
      return refusal;
    });
    if (locked !== null) {
      throw new VerityError("SUBJECT_LOCKED", {
        message: "This confirmation cannot be accepted now. Tell the service desk: they will check your identity another way.",
      });
    }
  }
  const now = deps.clock.now().toISOString();
  const after = await changeVerification(
    deps,
    v.id,
    { states: OPEN, codeHash: hash, notExpiredAt: now },
    {
      state: transition(v.state, ending.event),
      state_reason: ending.reason,
      code_hash: null,
      completed_at: now,
      updated_at: now,
      addAttempt: true,
      ...(ending.evidence === undefined ? {} : { evidence: JSON.stringify(ending.evidence) }),
    },
    (a) => [
      {
        ...eventBase(a, actor),
        action: ending.action,
        outcome: ending.outcome,
        reason: ending.reason,
        data: { by: ending.by, assurance: assuranceOf(a.method, a.challenge, ending.evidence ?? null), ...(ending.evidence === undefined ? {} : { evidence: ending.evidence }), ...ending.data },
      },
    ],
  );
  if (after === undefined) throw invalid();
  return after;
}
