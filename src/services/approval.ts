import { VerityError } from "../domain/errors.js";
import { hashDestination } from "../domain/keys.js";
import { maskEmail } from "../domain/masking.js";
import { usableManager } from "../domain/manager.js";
import type { DirectoryUser } from "../domain/ports.js";
import { assertFormNonce, endCallerLink, liveCallerLink, type CallerLinkEnding } from "./caller-link.js";
import { deskName, safeFirstName, safeTicket } from "./caller-wording.js";
import type { EngineDeps } from "./engine-deps.js";

/** The manager's one answer: approve, or "I do not approve / I don't know about this". */
export type ApprovalAnswer = "approve" | "reject";
export type ApprovalOutcome = "approved" | "rejected";

/**
 * The email to the caller's manager. It names the caller (from the directory), the technician's
 * first name and a safe-shaped ticket number only: the reason a technician typed is shown on the
 * page, never put in a message (SECURITY.md attack 29).
 */
export function approvalMessage(vars: {
  readonly organisation: string | null;
  readonly technician: string;
  readonly caller: string;
  readonly ticket: string | null;
  readonly minutes: number;
  readonly link: string;
}): { subject: string; text: string } {
  const desk = deskName(vars.organisation);
  const technician = safeFirstName(vars.technician);
  const caller = oneLine(vars.caller);
  const ticket = safeTicket(vars.ticket);
  return {
    subject: `${desk}: do you approve that ${technician} acts for ${caller}?`,
    text: [
      "Hello,",
      "",
      `${technician} at the ${desk} is helping someone who says they are ${caller}${ticket === null ? "" : ` (ticket ${ticket})`}, and asks you, as ${caller}'s manager, to approve that the desk acts for them now (for example, resets their password or sign-in methods).`,
      "",
      `Open ${vars.link} to see the request and answer. The link works once, for ${vars.minutes} minutes.`,
      "",
      `Approve only if you know that ${caller} asked for this help now. If you do not know about it, open the link and choose "I do not approve / I don't know about this": someone may be pretending to be them.`,
    ].join("\n"),
  };
}

const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, 120);

const ENDINGS: Readonly<Record<ApprovalAnswer, Omit<CallerLinkEnding, "by" | "evidence" | "actor">>> = {
  approve: { event: "approved", reason: "manager_approved", action: "approval.approved", outcome: "verified" },
  // A manager who does not approve, or knows nothing of the request, is a fraud report: the caller
  // is flagged for 24 hours and the tenant's destinations hear of it (docs/integrations/manager-approval.md).
  reject: { event: "denied", reason: "fraud", action: "approval.denied", outcome: "rejected" },
};

/** The audit actor of a manager's answer. */
export const APPROVER_ACTOR = "manager:approval";

/**
 * POST: the manager's one answer on the approval page. Like the confirmation link: the form's
 * nonce must come from this link's page, and one conditional update consumes the link, so a
 * second answer, an answer after expiry or on a cancelled request gets LINK_NOT_VALID. The
 * approver is recorded as evidence (name and masked address), read from the directory now; when
 * the directory no longer names a usable manager the approval is refused, not recorded.
 * @throws LINK_NOT_VALID, CSRF_REJECTED, SUBJECT_LOCKED (an approval while the caller is locked out)
 */
export async function answerApproval(deps: EngineDeps, ref: string, nonce: unknown, answer: ApprovalAnswer): Promise<ApprovalOutcome> {
  const live = await liveCallerLink(deps, ref, ["approval"]);
  assertFormNonce(deps, live, nonce);
  const { v } = live;
  const current = await managerNow(deps, v.tenantId, v.subjectId);
  // Only the manager the request was sent to approves: a manager changed since then does not.
  const manager = current !== null && hashDestination(deps.keys, current.email) === v.destinationHash ? current : null;
  const approver = manager === null ? { name: "the caller's manager", emailMasked: v.destinationMasked ?? "" } : { name: manager.displayName, emailMasked: maskEmail(manager.email) };
  if (answer === "approve" && manager === null) {
    throw new VerityError("LINK_NOT_VALID", { message: "The directory no longer names a manager who can approve this request; nothing was approved. Ask the service desk to start again." });
  }
  await endCallerLink(deps, live, {
    ...ENDINGS[answer],
    by: `${approver.name} (manager of ${v.subjectName}, on the approval page)`,
    actor: APPROVER_ACTOR,
    evidence: { approver },
  });
  return answer === "approve" ? "approved" : "rejected";
}

/** The caller's manager as the directory names them now, when still usable. */
async function managerNow(deps: EngineDeps, tenantId: string, subjectId: string): Promise<{ displayName: string; email: string } | null> {
  const tenant = deps.tenants.get(tenantId);
  if (tenant === undefined) return null;
  let user: DirectoryUser | null;
  try {
    user = await tenant.directory.findUser(subjectId);
  } catch {
    return null;
  }
  if (user === null) return null;
  const found = usableManager(user);
  return "manager" in found ? found.manager : null;
}
