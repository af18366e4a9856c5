import { VerityError } from "../domain/errors.js";
import { parseMethod } from "../domain/methods.js";
import type { TicketContact } from "../domain/ports.js";
import { transition, type Verification, type VerificationEvent } from "../domain/verification.js";
import { findVerification, findVerificationByOrigin } from "../store/verification-dal.js";
import type { Actor } from "./actor.js";
import { deliver, type PushTracker } from "./deliver.js";
import { changeVerification, eventBase, isoAfter, type EngineDeps } from "./engine-deps.js";
import { bindingFor } from "./lifecycle.js";
import { freshSecret } from "./link-secret.js";
import { chooseTarget } from "./targets.js";
import { assertTicketIsCallers, isTicketingOutage, settle, WAITING_FOR_TICKETING } from "./ticket-binding.js";

/**
 * A start that already happened, met again by a retried job. A verification still `pending` was
 * being delivered when its process died, and nothing is sent again here:
 * - a code may or may not have left: delivery_unknown, the ticket hears so, and a person resends
 *   or cancels (the code, if it arrived, still works);
 * - a push cannot be followed without the provider's reference, which was never stored: failed,
 *   so the technician starts a new one;
 * - a passcode check sends nothing, so it simply opens.
 */
export async function resumeInterrupted(deps: EngineDeps, earlier: Verification, actor: Actor): Promise<Verification> {
  if (earlier.state !== "pending") return earlier;
  const kind = parseMethod(earlier.method).kind;
  const now = deps.clock.now().toISOString();
  const change = (event: VerificationEvent, reason: string | null, action: string, outcome: string, extra: { completed_at?: string } = {}) =>
    changeVerification(
      deps,
      earlier.id,
      { states: ["pending"] },
      { state: transition("pending", event), ...(reason === null ? {} : { state_reason: reason }), updated_at: now, ...extra },
      (a) => [{ ...eventBase(a, actor), action, outcome, ...(reason === null ? {} : { reason }) }],
    );
  const after =
    kind === "passcode"
      ? await change("delivered", null, "passcode.requested", "sent")
      : kind === "push"
        ? await change("delivery_failed", "Verity was interrupted while starting the push and cannot follow it; start a new verification.", "push.send_failed", "failed", { completed_at: now })
        : await change("delivery_ambiguous", "Verity was interrupted while sending and cannot tell whether the caller received it; resend or cancel.", "message.delivery_unknown", "delivery_unknown");
  return after ?? (await findVerification(deps.db, earlier.id)) ?? earlier;
}

/**
 * A verification held while the ticketing system was away, met again by the integration's retry:
 * the ticket is read again; if it is still away the outage is thrown (keep waiting), if it says the
 * ticket is someone else's the verification fails, and otherwise a fresh code (or the push) goes
 * out at once with a fresh deadline.
 */
export async function resumeWaiting(
  deps: EngineDeps & { pushes: PushTracker },
  earlier: Verification,
  actor: Actor,
  contactRead?: Promise<TicketContact>,
): Promise<Verification> {
  const { tenant, binding } = bindingFor(deps, earlier);
  const systemName = earlier.ticketSystem;
  const system = systemName === null ? undefined : tenant.ticketing?.systems.get(systemName);
  if (system === undefined || systemName === null || earlier.ticket === null) {
    return failWaiting(deps, earlier, actor, "The ticketing system is no longer configured.");
  }
  const contact = await settle(contactRead ?? system.ticketContact(earlier.ticket));
  if (!contact.ok && isTicketingOutage(contact.error)) throw contact.error;
  const user = await tenant.directory.findUser(earlier.subjectId);
  try {
    if (!contact.ok) throw contact.error;
    if (user === null) throw new VerityError("USER_NOT_FOUND", { message: "The user is no longer in the directory." });
    await assertTicketIsCallers(tenant, { ticket: earlier.ticket, system: systemName }, contact.value, user);
  } catch (error) {
    await failWaiting(deps, earlier, actor, error instanceof Error ? error.message : "The ticket could not be confirmed.");
    throw error;
  }
  const target = chooseTarget(binding, user, deps.keys);
  const now = deps.clock.now();
  const kind = binding.spec.kind;
  const fresh = freshSecret(deps, tenant, kind, earlier.id);
  const code = fresh.secret;
  const after = await changeVerification(
    deps,
    earlier.id,
    { states: ["pending"], stateReason: WAITING_FOR_TICKETING },
    {
      state_reason: null,
      ticket_confirmed_at: now.toISOString(),
      code_hash: fresh.hash,
      code_length: fresh.codeLength,
      challenge: fresh.challenge,
      expires_at: isoAfter(now, fresh.ttlSeconds),
      updated_at: now.toISOString(),
    },
    (a) => [{ ...eventBase(a, actor), action: "ticket.confirmed", outcome: "pending", data: { system: systemName } }],
  );
  if (after === undefined) return (await findVerification(deps.db, earlier.id)) ?? earlier;
  return deliver(deps, { tenant, binding, verification: after, user, target, code, actor });
}

/** Ends a verification still waiting for the ticketing system; nothing was sent for it. */
export async function failWaiting(deps: EngineDeps, v: Verification, actor: Actor | string, reason: string): Promise<Verification> {
  const now = deps.clock.now().toISOString();
  const after = await changeVerification(
    deps,
    v.id,
    { states: ["pending"], stateReason: WAITING_FOR_TICKETING },
    { state: transition("pending", "fail"), state_reason: reason, completed_at: now, updated_at: now },
    (a) => [{ ...eventBase(a, actor), action: "verification.failed", outcome: "failed", reason }],
  );
  return after ?? (await findVerification(deps.db, v.id)) ?? v;
}

/** The integration gave up on a start: a verification it left waiting for the ticketing system fails. */
export async function abandonWaiting(deps: EngineDeps, idempotencyKey: string, reason: string): Promise<Verification | null> {
  const v = await findVerificationByOrigin(deps.db, idempotencyKey);
  if (v === undefined || v.state !== "pending" || v.stateReason !== WAITING_FOR_TICKETING) return null;
  return failWaiting(deps, v, "system", reason);
}
