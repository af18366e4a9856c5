import { assuranceOf } from "../domain/assurance.js";
import { VerityError } from "../domain/errors.js";
import { statesAccepting, transition, type Verification } from "../domain/verification.js";
import { updateVerificationIf } from "../store/verification-dal.js";
import { assertCanAct, type Actor } from "./actor.js";
import { changeVerification, eventBase, loadVerification, type EngineDeps } from "./engine-deps.js";
import { bindingFor, expireIfDue, notOpenError } from "./lifecycle.js";

/**
 * Reveal mode: the technician saw the code in the ticket note and says whether the caller read
 * back the same code. A match verifies; a mismatch rejects and counts as a failed check.
 */
export async function confirmVerification(deps: EngineDeps, actor: Actor, id: string, matched: boolean): Promise<Verification> {
  const loaded = await loadVerification(deps, id);
  assertCanAct(actor, loaded);
  const { tenant, binding } = bindingFor(deps, loaded);
  if (binding.spec.kind !== "code" || tenant.ticketing?.codeHandling !== "reveal") {
    throw new VerityError("INVALID_TRANSITION", { message: "Match/mismatch applies only to codes shown in the ticket (reveal mode)." });
  }
  const v = await expireIfDue(deps, loaded);
  const event = matched ? "approved" : "denied";
  if (!statesAccepting(event).includes(v.state)) throw notOpenError(v);
  const now = deps.clock.now().toISOString();
  const { result } = await deps.audit.transaction(async (trx, record) => {
    const after = await updateVerificationIf(
      trx,
      id,
      { states: statesAccepting(event), attemptsBelowMax: true, notExpiredAt: now },
      {
        state: transition(v.state, event),
        state_reason: matched ? "technician_confirmed_match" : "technician_reported_mismatch",
        code_hash: null,
        completed_at: now,
        updated_at: now,
        addAttempt: true,
      },
    );
    if (after !== undefined) {
      record({ ...eventBase(after, actor), action: matched ? "check.confirmed" : "check.mismatch", outcome: after.state, ...(matched ? { data: { assurance: assuranceOf(after.method, after.challenge) } } : {}) });
    }
    return after;
  });
  if (result === undefined) throw notOpenError(await loadVerification(deps, id));
  deps.bus.publish(result);
  return result;
}

export type DeliveryStatus = "delivered" | "undelivered" | "failed";

/**
 * A carrier's report on a sent message (Twilio status callbacks). "delivered" settles an
 * ambiguous send; "undelivered"/"failed" fail a verification still waiting for its code.
 * Reports for finished verifications are recorded and change nothing.
 */
export async function recordDeliveryStatus(
  deps: EngineDeps,
  verification: Verification,
  status: DeliveryStatus,
  errorCode: number | null,
): Promise<Verification> {
  const now = deps.clock.now().toISOString();
  const detail = status === "delivered" ? "the carrier delivered the text" : `the carrier reported the text ${status}${errorCode === null ? "" : ` (error ${errorCode})`}`;
  const event = status === "delivered" ? "delivery_confirmed" : "delivery_failed";
  const action = status === "delivered" ? "message.delivered" : "message.status_failed";
  const states = status === "delivered" ? (["delivery_unknown"] as const) : statesAccepting("delivery_failed").filter((s) => s !== "pending");
  const after = await changeVerification(
    deps,
    verification.id,
    { states, ...(verification.providerRef === null ? {} : { providerRef: verification.providerRef }) },
    {
      state: transition(states[0] ?? "sent", event),
      state_reason: status === "delivered" ? null : detail,
      updated_at: now,
      ...(status === "delivered" ? {} : { code_hash: null, completed_at: now }),
    },
    (a) => [{ ...eventBase(a, "twilio"), action, outcome: a.state, reason: detail, data: { status, errorCode } }],
  );
  if (after !== undefined) return after;
  await deps.audit.append([{ ...eventBase(verification, "twilio"), action: "message.status", outcome: status, reason: detail, data: { status, errorCode } }]);
  return (await loadVerification(deps, verification.id)) ?? verification;
}
