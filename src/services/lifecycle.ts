import { VerityError } from "../domain/errors.js";
import { isTerminal, statesAccepting, transition, type Verification } from "../domain/verification.js";
import { findVerification, listDueForExpiry, updateVerificationIf } from "../store/verification-dal.js";
import { assertCanAct, type Actor } from "./actor.js";
import { deliver, type PushTracker } from "./deliver.js";
import { changeVerification, eventBase, isoAfter, loadVerification, type EngineDeps } from "./engine-deps.js";
import { checkSubjectLimits } from "./limits.js";
import { freshSecret } from "./link-secret.js";
import { chooseTarget } from "./targets.js";
import { WAITING_FOR_TICKETING } from "./ticket-binding.js";
import type { MethodBinding, TenantRuntime } from "./tenant-registry.js";

/** Why a verification cannot take a code, a resend or a cancel: one error per state. */
export function notOpenError(v: Verification): VerityError {
  switch (v.state) {
    case "verified":
      return new VerityError("CODE_ALREADY_USED", { message: "The verification already succeeded." });
    case "expired":
      return new VerityError("VERIFICATION_EXPIRED");
    case "rejected":
      return v.stateReason === "too_many_attempts"
        ? new VerityError("CHECK_LIMIT_REACHED")
        : new VerityError("VERIFICATION_NOT_PENDING", { message: "The verification was rejected; start a new one." });
    case "pending":
      return new VerityError("VERIFICATION_NOT_PENDING", {
        message:
          v.stateReason === WAITING_FOR_TICKETING
            ? "Nothing has been sent yet: Verity is waiting for the ticketing system to confirm the ticket is the caller's."
            : "The message is still being sent; try again in a moment.",
      });
    default:
      return new VerityError("VERIFICATION_NOT_PENDING", { message: `The verification is ${v.state.replace("_", " ")}.` });
  }
}

export function bindingFor(deps: Pick<EngineDeps, "tenants">, v: Verification): { tenant: TenantRuntime; binding: MethodBinding } {
  const tenant = deps.tenants.get(v.tenantId);
  const binding = tenant?.methods.get(v.method);
  if (tenant === undefined || binding === undefined) {
    throw new VerityError("METHOD_NOT_ENABLED", { message: `${v.method} is no longer configured for tenant ${v.tenantId}.` });
  }
  return { tenant, binding };
}

/**
 * Expires `v` if its deadline has passed and it is still open; returns the fresh state. Safe to
 * race with other instances: the guarded update lets exactly one record the expiry.
 */
export async function expireIfDue(deps: EngineDeps, v: Verification, actor = "system"): Promise<Verification> {
  const now = deps.clock.now().toISOString();
  if (isTerminal(v.state) || v.expiresAt > now) return v;
  const after = await changeVerification(
    deps,
    v.id,
    { states: statesAccepting("expire"), expiredBy: now },
    { state: transition(v.state, "expire"), state_reason: "timed_out", code_hash: null, completed_at: now, updated_at: now },
    (a) => [{ ...eventBase(a, actor), action: "verification.expired", outcome: "expired", reason: "timed_out" }],
  );
  if (after !== undefined) await cancelProviderPush(deps, after);
  return after ?? (await findVerification(deps.db, v.id)) ?? v;
}

/** Expires every open verification past its deadline; the sweeper calls this on a timer. */
export async function expireDue(deps: EngineDeps): Promise<number> {
  let expired = 0;
  for (;;) {
    const due = await listDueForExpiry(deps.db, deps.clock.now().toISOString(), 100);
    for (const v of due) {
      if ((await expireIfDue(deps, v)).state === "expired") expired += 1;
    }
    if (due.length < 100) return expired;
  }
}

export async function cancelVerification(deps: EngineDeps, actor: Actor, id: string, reason: string | null): Promise<Verification> {
  const v = await expireIfDue(deps, await loadVerification(deps, id));
  assertCanAct(actor, v);
  if (isTerminal(v.state)) throw notOpenError(v);
  const now = deps.clock.now().toISOString();
  const after = await changeVerification(
    deps,
    id,
    { states: statesAccepting("cancel") },
    { state: "cancelled", state_reason: reason ?? "cancelled by technician", code_hash: null, completed_at: now, updated_at: now },
    (a) => [{ ...eventBase(a, actor), action: "verification.cancelled", outcome: "cancelled", reason: reason ?? null }],
  );
  if (after === undefined) throw notOpenError(await loadVerification(deps, id));
  await cancelProviderPush(deps, after);
  return after;
}

/**
 * Sends a fresh code (or push) for an open verification. The old code dies in the same update
 * that stores the new one's hash; checks are not reset, so resending buys no extra guesses.
 */
export async function resendVerification(
  deps: EngineDeps & { pushes: PushTracker },
  actor: Actor,
  id: string,
): Promise<Verification> {
  const v = await expireIfDue(deps, await loadVerification(deps, id));
  assertCanAct(actor, v);
  const { tenant, binding } = bindingFor(deps, v);
  if (binding.spec.kind === "passcode") {
    throw new VerityError("INVALID_TRANSITION", { message: "A passcode verification has nothing to resend." });
  }
  if (!statesAccepting("resend").includes(v.state)) throw notOpenError(v);
  if (v.sends >= tenant.settings.maxSends) throw new VerityError("RESEND_LIMIT_REACHED");
  const user = await tenant.directory.findUser(v.subjectId);
  if (user === null) throw new VerityError("USER_NOT_FOUND", { message: "The user is no longer in the directory." });
  const target = chooseTarget(binding, user, deps.keys);
  const now = deps.clock.now();
  const kind = binding.spec.kind;
  const fresh = freshSecret(deps, tenant, kind, id);
  const code = fresh.secret;
  const nowIso = now.toISOString();

  const { result } = await deps.audit.transaction(async (trx, record) => {
    const refused = await checkSubjectLimits(trx, {
      tenant,
      subjectId: v.subjectId,
      kind,
      settings: tenant.settings,
      now,
      method: v.method,
      send: { technician: actor.id, sms: target.kind === "destination" ? (target.sms ?? null) : null },
      hint: deps.limitHint,
    });
    if (refused !== null) {
      record({ ...eventBase(v, actor), action: "verification.refused", outcome: "refused", reason: refused.code });
      return refused;
    }
    const after = await updateVerificationIf(
      trx,
      id,
      { states: statesAccepting("resend"), ...(v.codeHash === null ? {} : { codeHash: v.codeHash }) },
      {
        state: transition(v.state, "resend"),
        state_reason: null,
        code_hash: fresh.hash,
        code_length: fresh.codeLength,
        destination_masked: target.masked,
        destination_hash: target.hash,
        provider_ref: null,
        challenge: fresh.challenge,
        expires_at: isoAfter(now, fresh.ttlSeconds),
        updated_at: nowIso,
        addSend: true,
      },
    );
    if (after === undefined) return undefined;
    record({ ...eventBase(after, actor), action: "verification.resend_requested", outcome: "pending", data: { send: after.sends } });
    return after;
  });
  if (result instanceof VerityError) throw result;
  if (result === undefined) throw notOpenError(await loadVerification(deps, id));
  deps.bus.publish(result);
  if (v.providerRef !== null) await cancelProviderPush(deps, v);
  return deliver(deps, { tenant, binding, verification: result, user, target, code, actor });
}

/** Best effort: a provider that cannot cancel leaves a prompt that will time out on its own. */
async function cancelProviderPush(deps: EngineDeps, v: Verification): Promise<void> {
  if (v.providerRef === null) return;
  const tenant = deps.tenants.get(v.tenantId);
  const binding = tenant?.methods.get(v.method);
  if (binding === undefined || !("provider" in binding)) return;
  try {
    await binding.provider.cancelPush(v.providerRef);
  } catch (error) {
    deps.log.warn({ err: error, verificationId: v.id }, "could not cancel the push at the provider");
  }
}
