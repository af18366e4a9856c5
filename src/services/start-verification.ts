import { randomUUID } from "node:crypto";
import { VerityError } from "../domain/errors.js";
import { generateCode, hashCode } from "../domain/otp.js";
import { decidePolicy } from "../domain/policy.js";
import type { RiskSignal } from "../domain/ports.js";
import { parseMethod } from "../domain/methods.js";
import { transition, type Verification, type VerificationEvent } from "../domain/verification.js";
import { findVerification, findVerificationByOrigin, insertVerification } from "../store/verification-dal.js";
import { assertRole, assertTenantAccess, type Actor } from "./actor.js";
import { callerHistorySignals } from "./caller-history.js";
import { deliver, type PushTracker } from "./deliver.js";
import { changeVerification, eventBase, isoAfter, type EngineDeps } from "./engine-deps.js";
import { checkSubjectLimits } from "./limits.js";
import { chooseTarget } from "./targets.js";

export interface StartInput {
  /** Tenant id; when absent the user's email domain decides. */
  readonly tenant?: string | undefined;
  /** Directory id, UPN or email of the caller's account. */
  readonly user: string;
  readonly method: string;
  readonly ticket?: string | null | undefined;
  readonly reason?: string | null | undefined;
  /** Who is on the phone; integrations (admin tokens) may name the agent, others are themselves. */
  readonly technician?: string | undefined;
  /** A push's title and text in the technician's words (pushpoll's -t and -m). */
  readonly pushTitle?: string | undefined;
  readonly pushMessage?: string | undefined;
}

/**
 * Starts a verification: finds the caller in the tenant's directory, picks the registered factor,
 * weighs risk against policy, checks the caller's limits, records the start, then sends.
 */
export interface StartOptions {
  /**
   * Settles before anything is recorded or sent: the directory reads run meanwhile. An
   * integration checking something upstream (is this the ticket's user?) passes that check here,
   * so the two run in parallel; if it rejects, nothing happens and its error is thrown.
   */
  readonly gate?: Promise<unknown>;
  /**
   * Makes the start happen at most once: an integration's job retried after a crash (a HaloPSA
   * delivery, say) gets the verification the first run made, and nothing is sent again. A row
   * still `pending` means that run died mid-send (the job queue reruns a job only after its lock
   * lapsed): see `resumeInterrupted`.
   */
  readonly idempotencyKey?: string;
}

export async function startVerification(
  deps: EngineDeps & { pushes: PushTracker },
  actor: Actor,
  input: StartInput,
  options: StartOptions = {},
): Promise<Verification> {
  assertRole(actor, "admin", "technician");
  const tenant = deps.tenants.resolve(input.tenant, input.user);
  assertTenantAccess(actor, tenant.id);
  const key = options.idempotencyKey;
  if (key !== undefined) {
    const earlier = await findVerificationByOrigin(deps.db, key);
    if (earlier !== undefined) return resumeInterrupted(deps, earlier, actor);
  }
  const binding = tenant.methods.get(input.method);
  if (binding === undefined) {
    throw new VerityError("METHOD_NOT_ENABLED", {
      message: `${input.method} is not enabled for ${tenant.name}; enabled: ${[...tenant.methods.keys()].join(", ")}.`,
    });
  }
  // The gate's rejection is observed here, so it never goes unhandled while the reads run.
  const gate = options.gate?.then(
    () => null,
    (error: unknown) => error,
  );
  const user = await tenant.directory.findUser(input.user);
  if (user === null) throw new VerityError("USER_NOT_FOUND", { message: `No user matches that id or email in ${tenant.name}'s directory.` });
  const target = chooseTarget(binding, user, deps.keys);

  // What the provider knows of the user (Duo preauth, Okta factors…) or of the destination (Twilio
  // Lookup: line type, SIM swap) is read beside the directory's risk reads.
  // The caller's own recent history in Verity (failures, repeated calls) comes from the store meanwhile.
  const [directorySignals, providerInfo, destinationSignals, historySignals] = await Promise.all([
    tenant.directory.riskSignals(user),
    "provider" in binding && binding.provider.describeUser !== undefined && target.kind === "provider"
      ? binding.provider.describeUser({ providerUserId: target.providerUserId, user, tenantId: tenant.id })
      : Promise.resolve(null),
    "channel" in binding && binding.channel.assess !== undefined && target.kind === "destination" && binding.spec.kind === "code"
      ? binding.channel.assess({ channel: binding.spec.channel, to: target.to })
      : Promise.resolve([]),
    callerHistorySignals(deps, { tenantId: tenant.id, subjectId: user.id }),
  ]);
  if (providerInfo !== null && binding.spec.kind !== "code" && !providerInfo[binding.spec.kind]) {
    throw new VerityError("NO_USABLE_FACTOR", {
      message:
        providerInfo.detail ??
        `${user.displayName} has no ${binding.spec.kind === "push" ? "device that takes pushes" : "passcode token or app"} at ${binding.spec.provider}.`,
    });
  }
  const signals: RiskSignal[] = [...directorySignals, ...destinationSignals, ...historySignals];
  if (user.privileged && !signals.some((s) => s.code === "privileged")) {
    signals.push({ code: "privileged", detail: "The account is privileged (administrator)." });
  }
  const decision = decidePolicy(signals, tenant.policy);
  const gateError = await gate;
  if (gateError instanceof Error) throw gateError;
  if (gateError !== null && gateError !== undefined) throw new VerityError("INTERNAL_ERROR", { cause: gateError });

  const now = deps.clock.now();
  const id = randomUUID();
  const kind = binding.spec.kind;
  const code = kind === "code" ? generateCode(tenant.settings.codeLength) : null;
  const technician = actor.role === "admin" && input.technician !== undefined ? input.technician : actor.name;
  const verification: Verification = {
    id,
    tenantId: tenant.id,
    subjectId: user.id,
    subjectName: user.displayName,
    method: binding.spec.id,
    state: "pending",
    stateReason: null,
    technician,
    createdBy: actor.id,
    ticket: input.ticket ?? null,
    reason: input.reason ?? null,
    codeHash: code === null ? null : hashCode(deps.keys.code, id, code),
    codeLength: code === null ? null : code.length,
    attempts: 0,
    maxAttempts: tenant.settings.maxChecks,
    sends: kind === "passcode" ? 0 : 1,
    destinationMasked: target.masked,
    destinationHash: target.hash,
    providerRef: null,
    challenge: null,
    prompt:
      kind === "push" && (input.pushTitle !== undefined || input.pushMessage !== undefined)
        ? { title: input.pushTitle ?? null, message: input.pushMessage ?? null }
        : null,
    risk: { decision: decision.action, signals: decision.reasons },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: isoAfter(now, kind === "push" ? tenant.settings.pushTimeoutSeconds : tenant.settings.codeTtlSeconds),
    completedAt: null,
    version: 1,
  };
  const base = {
    actor: actor.id,
    tenantId: tenant.id,
    subjectId: user.id,
    verificationId: id,
    ticket: verification.ticket,
    method: verification.method,
    destinationMasked: target.masked,
    destinationHash: target.hash,
  };
  const riskData = { decision: decision.action, signals: decision.reasons.map((r) => `${r.code}:${r.action}`) };

  const { result: outcome } = await deps.audit.transaction(async (trx, record): Promise<VerityError | Verification | null> => {
    // Under the chain lock: a second run racing the first sees its row here.
    const earlier = key === undefined ? undefined : await findVerificationByOrigin(trx, key);
    if (earlier !== undefined) return earlier;
    const refused =
      decision.action === "block"
        ? new VerityError("POLICY_BLOCKED", {
            message: `Blocked by ${tenant.name}'s policy: ${decision.reasons.map((r) => r.detail).join(" ")}`,
          })
        : await checkSubjectLimits(trx, { tenant, subjectId: user.id, kind, settings: tenant.settings, now });
    if (refused !== null) {
      record({ ...base, verificationId: null, action: "verification.refused", outcome: "refused", reason: refused.code, data: riskData });
      return refused;
    }
    await insertVerification(trx, verification, key ?? null);
    record({
      ...base,
      action: "verification.started",
      outcome: "pending",
      reason: verification.reason,
      data: { ...riskData, technician, target: target.label },
    });
    return null;
  });
  if (outcome instanceof VerityError) throw outcome;
  if (outcome !== null) return resumeInterrupted(deps, outcome, actor);
  deps.bus.publish(verification);
  return deliver(deps, { tenant, binding, verification, user, target, code, actor });
}

/**
 * A start that already happened, met again by a retried job. A verification still `pending` was
 * being delivered when its process died, and nothing is sent again here:
 * - a code may or may not have left: delivery_unknown, the ticket hears so, and a person resends
 *   or cancels (the code, if it arrived, still works);
 * - a push cannot be followed without the provider's reference, which was never stored: failed,
 *   so the technician starts a new one;
 * - a passcode check sends nothing, so it simply opens.
 */
async function resumeInterrupted(deps: EngineDeps, earlier: Verification, actor: Actor): Promise<Verification> {
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
