import { VerityError } from "../domain/errors.js";
import { judgePresentation, presentationState, roundScore, type IdentityProofingService, type PresentationCallback, type PresentationOutcome, type PresentationRejection } from "../domain/face-check.js";
import { parseMethod } from "../domain/methods.js";
import { statesAccepting, type Verification } from "../domain/verification.js";
import { findVerificationByProviderRef } from "../store/verification-dal.js";
import { assertFormNonce, endCallerLink, liveCallerLink, type LiveLink } from "./caller-link.js";
import { changeVerification, eventBase, type EngineDeps } from "./engine-deps.js";
import { expireIfDue } from "./lifecycle.js";

/** Where the Request Service posts its callbacks, below server.publicUrl (or the demo's own address). */
export const VERIFIED_ID_HOOK_PATH = "/hooks/verified-id";
/** The audit actor of a callback: the Request Service speaking for the caller's wallet. */
export const FACEID_ACTOR = "caller:verified-id";
/** state_reason values while the verification waits: the technician's screen words them. */
export const FACEID_REQUESTED = "faceid_requested";
export const FACEID_OPENED = "faceid_opened";

const OPEN = statesAccepting("approved");
/** Presentation requests one link may create. */
export const MAX_PRESSES = 5;

/** The wallet link the caller's page shows after the button. */
export interface FaceCheckStart {
  readonly url: string;
  readonly expiresAt: string;
}

/** What a callback did, for the hook's answer. */
export type CallbackResult = "taken" | "unknown" | "not_pending";

function serviceOf(deps: EngineDeps, v: Verification): IdentityProofingService | undefined {
  const binding = deps.tenants.get(v.tenantId)?.methods.get(v.method);
  return binding !== undefined && "services" in binding ? binding.services.verifiedId : undefined;
}

/**
 * POST from the caller's Face Check page: asks the Request Service for a presentation of the
 * caller's credential. The link stays live (the callback ends it); pressing again makes a new
 * request and the earlier one's callbacks are refused, because only the newest request id is kept.
 * @throws LINK_NOT_VALID, CSRF_REJECTED, METHOD_NOT_ENABLED, or the provider's errors
 */
export async function startFaceCheck(deps: EngineDeps, ref: string, nonce: unknown): Promise<FaceCheckStart> {
  const live = await liveCallerLink(deps, ref, ["faceid"]);
  assertFormNonce(deps, live, nonce);
  const { v, hash } = live;
  const service = serviceOf(deps, v);
  const tenant = deps.tenants.get(v.tenantId);
  if (service === undefined || tenant === undefined || deps.callerLinkBase === undefined) {
    throw new VerityError("METHOD_NOT_ENABLED", { message: "Face Check is not set up for your organisation on this Verity. Tell the service desk." });
  }
  // Each press asks Microsoft for a request (and may end in a billed Face Check): a handful per link.
  const presses = await deps.db
    .selectFrom("audit_events")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("verification_id", "=", v.id)
    .where("action", "=", "faceid.requested")
    .executeTakeFirst();
  if (Number(presses?.n ?? 0) >= MAX_PRESSES) {
    throw new VerityError("RATE_LIMITED", { message: "This link has been used to start Face Check too many times. Ask the service desk for a new link." });
  }
  const user = await tenant.directory.findUser(v.subjectId);
  if (user === null || user === undefined) throw new VerityError("LINK_NOT_VALID");
  const started = await service.createPresentation({
    state: presentationState(deps.keys.link, v.id, hash),
    subject: { upn: user.upn, mail: user.mail ?? null },
    callbackUrl: `${deps.callerLinkBase.replace(/\/+$/, "")}${VERIFIED_ID_HOOK_PATH}`,
  });
  const now = deps.clock.now().toISOString();
  const after = await changeVerification(
    deps,
    v.id,
    { states: OPEN, codeHash: hash, notExpiredAt: now },
    { provider_ref: started.requestId, state_reason: FACEID_REQUESTED, updated_at: now },
    (a) => [{ ...eventBase(a, FACEID_ACTOR), action: "faceid.requested", outcome: "pending", data: { service: service.name } }],
  );
  if (after === undefined) throw new VerityError("LINK_NOT_VALID");
  // The request ends with the verification: a link that lives longer is never shown.
  return { url: started.url, expiresAt: started.expiresAt < v.expiresAt ? started.expiresAt : v.expiresAt };
}

const REJECTION_ACTION: Readonly<Record<PresentationRejection, string>> = {
  presentation_error: "faceid.failed",
  wrong_credential_type: "faceid.rejected",
  issuer_not_accepted: "faceid.rejected",
  credential_not_valid: "faceid.rejected",
  no_face_check: "faceid.rejected",
  score_below_threshold: "faceid.rejected",
  subject_unreadable: "faceid.rejected",
  other_subject: "faceid.other_subject",
};

/**
 * A callback `service` authenticated (its api-key). The verification is found by the request id
 * (the newest one it asked for), then the request, its state and the presentation are judged
 * (domain/face-check.ts). A callback for no known request changes nothing and is not audited (no
 * verification to attach it to); one for a known verification that is not waiting any more, or
 * that fails the state check, is audited as `faceid.callback_refused` and changes nothing.
 */
export async function faceCheckCallback(deps: EngineDeps, service: IdentityProofingService, callback: PresentationCallback): Promise<CallbackResult> {
  const found = await findVerificationByProviderRef(deps.db, callback.requestId);
  if (found === undefined || parseMethod(found.method).kind !== "faceid" || serviceOf(deps, found) !== service) return "unknown";
  const v = await expireIfDue(deps, found);
  const refuse = async (reason: string): Promise<CallbackResult> => {
    await deps.audit.transaction((_trx, record) => {
      record({ ...eventBase(v, FACEID_ACTOR), action: "faceid.callback_refused", outcome: "refused", reason, data: { status: callback.status } });
      return Promise.resolve();
    });
    return reason === "not_pending" ? "not_pending" : "unknown";
  };
  if (!OPEN.includes(v.state) || v.codeHash === null) return refuse("not_pending");
  const live: LiveLink = { v, hash: v.codeHash, kind: "faceid" };
  const user = await deps.tenants.get(v.tenantId)?.directory.findUser(v.subjectId);
  if (user === null || user === undefined) return refuse("subject_not_found");
  const outcome = judgePresentation(callback, { requestId: v.providerRef ?? "", state: presentationState(deps.keys.link, v.id, live.hash), subject: { upn: user.upn, mail: user.mail ?? null } }, service.rules);
  return settle(deps, live, outcome, refuse);
}

async function settle(deps: EngineDeps, live: LiveLink, outcome: PresentationOutcome, refuse: (reason: string) => Promise<CallbackResult>): Promise<CallbackResult> {
  const { v } = live;
  const by = `${v.subjectName} (Verified ID with Face Check)`;
  switch (outcome.kind) {
    case "refused":
      return refuse(outcome.reason);
    case "retrieved": {
      const now = deps.clock.now().toISOString();
      const after = await changeVerification(
        deps,
        v.id,
        { states: OPEN, codeHash: live.hash, notExpiredAt: now, ...(v.providerRef === null ? {} : { providerRef: v.providerRef }) },
        { state_reason: FACEID_OPENED, updated_at: now },
        (a) => [{ ...eventBase(a, FACEID_ACTOR), action: "faceid.opened", outcome: "pending" }],
      );
      return after === undefined ? refuse("not_pending") : "taken";
    }
    case "verified":
      await ending(endCallerLink(deps, live, {
        event: "approved",
        reason: "face_check_passed",
        action: "faceid.verified",
        outcome: "verified",
        by,
        actor: FACEID_ACTOR,
        evidence: { assurance: "proofing", faceCheck: { score: roundScore(outcome.score) } },
      }));
      return "taken";
    case "rejected":
      await ending(endCallerLink(deps, live, {
        event: "denied",
        reason: outcome.fraud ? "fraud" : outcome.reason,
        action: REJECTION_ACTION[outcome.reason],
        outcome: "rejected",
        by,
        actor: FACEID_ACTOR,
        data: { why: outcome.reason, ...(outcome.errorCode === undefined ? {} : { errorCode: outcome.errorCode.slice(0, 100) }) },
      }));
      return "taken";
  }
}

/**
 * An ending that did not happen is not the Request Service's fault: a caller locked out meanwhile
 * (audited by endCallerLink as check.refused) or a link ended by a racing callback. The callback
 * was still received, so it is answered as taken.
 */
async function ending(ended: Promise<Verification>): Promise<void> {
  try {
    await ended;
  } catch (error) {
    if (!(error instanceof VerityError && (error.code === "SUBJECT_LOCKED" || error.code === "LINK_NOT_VALID"))) throw error;
  }
}
