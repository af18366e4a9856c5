import type { AssuranceRequirement } from "../domain/assurance.js";
import { randomUUID } from "node:crypto";
import { isVerityError, VerityError } from "../domain/errors.js";
import { decidePolicy } from "../domain/policy.js";
import type { DirectoryUser, RiskSignal, TicketContact } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";
import { findVerificationByOrigin, insertVerification } from "../store/verification-dal.js";
import { VERIFYING_ROLES } from "../domain/roles.js";
import { assertRole, assertTenantAccess, type Actor } from "./actor.js";
import type { AuditEntry } from "./audit-service.js";
import { callerHistorySignals, RECENT_FRAUD_REPORT } from "./caller-history.js";
import { deliver, type PushTracker } from "./deliver.js";
import { assertLinkable, freshSecret } from "./link-secret.js";
import { isoAfter, type EngineDeps } from "./engine-deps.js";
import { checkSubjectLimits, lockCaller, type SendContext } from "./limits.js";
import { resumeInterrupted, resumeWaiting } from "./start-resume.js";
import { chooseTarget, type Target } from "./targets.js";
import { ticketSystemOf, type MethodBinding, type TenantRuntime } from "./tenant-registry.js";
import { assertTicketIsCallers, isTicketingOutage, settle, WAITING_FOR_TICKETING } from "./ticket-binding.js";

export interface StartInput {
  /** Tenant id; when absent the user's email domain decides. */
  readonly tenant?: string | undefined;
  /** Directory id, UPN or email of the caller's account. */
  readonly user: string;
  readonly method: string;
  /**
   * The ticket this call belongs to. In a tenant with a ticketing system, the system must confirm
   * the ticket's contact is this caller, and only then do notes go to it.
   */
  readonly ticket?: string | null | undefined;
  /**
   * The ticketing system (configured name) the ticket is in, for a tenant reached from several;
   * the tenant's first system when absent.
   */
  readonly ticketSystem?: string | null | undefined;
  readonly reason?: string | null | undefined;
  /** Who is on the phone; integrations (admin tokens) may name the agent, others are themselves. */
  readonly technician?: string | undefined;
  /** A push's title and text in the technician's words (pushpoll's -t and -m), where allowed. */
  readonly pushTitle?: string | undefined;
  readonly pushMessage?: string | undefined;
  /**
   * An administrator's decision to verify a caller flagged for fraud in the last 24 hours (a push
   * reported as fraud, "not me" on a link): refused without it, audited with it.
   */
  readonly overrideFraudFlag?: boolean | undefined;
}

export interface StartOptions {
  /** The ticket's contact, when the integration already began reading it (read once, not twice). */
  readonly ticketContact?: Promise<TicketContact>;
  /**
   * When the ticketing system cannot be reached, record the verification as waiting for it (it
   * sends nothing yet) and throw the outage, so the integration's retry resumes it. Without this,
   * the outage is thrown and nothing is recorded.
   */
  readonly waitForTicketing?: boolean;
  /**
   * Makes the start happen at most once: an integration's job retried after a crash (a HaloPSA
   * delivery, say) gets the verification the first run made, and nothing is sent again.
   */
  readonly idempotencyKey?: string;
}

/**
 * Starts a verification: finds the caller in the tenant's directory, picks the registered factor,
 * confirms the ticket is theirs, weighs risk against policy, checks every limit, records the
 * start, then sends.
 */
export async function startVerification(
  deps: EngineDeps & { pushes: PushTracker },
  actor: Actor,
  input: StartInput,
  options: StartOptions = {},
): Promise<Verification> {
  assertRole(actor, ...VERIFYING_ROLES);
  const tenant = deps.tenants.resolve(input.tenant, input.user);
  assertTenantAccess(actor, tenant.id);
  const key = options.idempotencyKey;
  if (key !== undefined) {
    const earlier = await findVerificationByOrigin(deps.db, key);
    if (earlier !== undefined) {
      return earlier.state === "pending" && earlier.stateReason === WAITING_FOR_TICKETING
        ? resumeWaiting(deps, earlier, actor, options.ticketContact)
        : resumeInterrupted(deps, earlier, actor);
    }
  }
  const binding = tenant.methods.get(input.method);
  if (binding === undefined) {
    throw new VerityError("METHOD_NOT_ENABLED", {
      message: `${input.method} is not enabled for ${tenant.name}; enabled: ${[...tenant.methods.keys()].join(", ")}.`,
    });
  }
  assertLinkable(deps, binding);
  const customText = binding.spec.kind === "push" && (input.pushTitle !== undefined || input.pushMessage !== undefined);
  if (customText && !tenant.settings.allowCustomPushText) throw new VerityError("CUSTOM_TEXT_NOT_ALLOWED");
  const ticket = input.ticket ?? null;
  const ticketing = ticket === null ? undefined : ticketSystemOf(tenant, input.ticketSystem);
  const contact = ticketing === undefined || ticket === null ? null : settle(options.ticketContact ?? ticketing.system.ticketContact(ticket));

  const user = await tenant.directory.findUser(input.user);
  if (user === null) throw new VerityError("USER_NOT_FOUND", { message: `No user matches that id, email, account name or provider id in ${tenant.name}'s directory.` });
  const refuse = refusal(deps, actor, tenant, user, binding.spec.id, ticket);
  const target = await refuse.unless(() => chooseTarget(binding, user, deps.keys, { id: actor.id, name: actor.role === "admin" && input.technician !== undefined ? input.technician : actor.name }));
  const sms = target.kind === "destination" ? (target.sms ?? null) : null;
  if (sms !== null && tenant.smsCountries !== undefined && !tenant.smsCountries.includes(sms.country)) {
    await refuse.with(
      new VerityError("COUNTRY_NOT_ALLOWED", {
        message: `${user.displayName}'s registered mobile is in ${sms.country}, and ${tenant.name} allows texts only to ${tenant.smsCountries.join(", ")}; use another method.`,
      }),
      target,
    );
  }

  // What the provider knows of the user (Duo preauth, Okta factors…) or of the destination (Twilio
  // Lookup), and the caller's own recent history in Verity, are read beside the directory's risk reads.
  const [directorySignals, providerInfo, destinationSignals, historySignals] = await Promise.all([
    tenant.directory.riskSignals(user),
    "provider" in binding && binding.provider.describeUser !== undefined && target.kind === "provider"
      ? binding.provider.describeUser({ providerUserId: target.providerUserId, user, tenantId: tenant.id })
      : Promise.resolve(null),
    "channel" in binding && binding.channel.assess !== undefined && target.kind === "destination"
      ? binding.channel.assess({ channel: binding.spec.channel, to: target.to })
      : Promise.resolve([]),
    callerHistorySignals(deps, { tenantId: tenant.id, subjectId: user.id }),
  ]);
  if (providerInfo !== null && "provider" in binding && !providerInfo[binding.spec.kind]) {
    await refuse.with(
      new VerityError("NO_USABLE_FACTOR", {
        message:
          providerInfo.detail ??
          `${user.displayName} has no ${binding.spec.kind === "push" ? "device that takes pushes" : "passcode token or app"} at ${binding.spec.provider}.`,
      }),
      target,
    );
  }
  const signals: RiskSignal[] = [...directorySignals, ...destinationSignals, ...historySignals];
  if (user.privileged && !signals.some((s) => s.code === "privileged")) {
    signals.push({ code: "privileged", detail: "The account is privileged (administrator)." });
  }
  const decision = decidePolicy(signals, tenant.policy);
  const fraudFlag = historySignals.find((s) => s.code === RECENT_FRAUD_REPORT);
  const overridden = fraudFlag !== undefined && actor.role === "admin" && input.overrideFraudFlag === true;
  if (fraudFlag !== undefined && !overridden) {
    await refuse.with(
      new VerityError("CALLER_FLAGGED", {
        message: `${fraudFlag.detail} For 24 hours a new verification of ${user.displayName} needs an administrator's override; escalate.`,
      }),
      target,
    );
  }
  const privileged = user.privileged || signals.some((s) => s.code === "privileged");
  const assurance: AssuranceRequirement = { level: privileged ? tenant.assurance.privileged : tenant.assurance.required, orTwoMethods: tenant.assurance.orTwoMethods };

  // A ticket the system says is someone else's (or does not know) is refused. When the system
  // cannot answer now, an integration's start waits for it; a person's start goes ahead and the
  // ticket is confirmed before its first note is posted (confirmTicketLater).
  let waiting: VerityError | null = null;
  let ticketConfirmed = false;
  if (contact !== null && ticket !== null && ticketing !== undefined) {
    const read = await contact;
    if (read.ok) {
      await refuse.unless(() => assertTicketIsCallers(tenant, { ticket, system: ticketing.name }, read.value, user), target);
      ticketConfirmed = true;
    } else if (options.waitForTicketing === true && isTicketingOutage(read.error)) waiting = read.error;
    else if (isVerityError(read.error) && read.error.status < 500) await refuse.with(read.error, target);
    else if (options.waitForTicketing === true) throw read.error;
  }

  const now = deps.clock.now();
  const id = randomUUID();
  const kind = binding.spec.kind;
  const fresh = freshSecret(deps, tenant, kind, id);
  const code = waiting === null ? fresh.secret : null;
  const technician = actor.role === "admin" && input.technician !== undefined ? input.technician : actor.name;
  const verification: Verification = {
    id,
    tenantId: tenant.id,
    subjectId: user.id,
    subjectName: user.displayName,
    method: binding.spec.id,
    evidence: null,
    state: "pending",
    stateReason: waiting === null ? null : WAITING_FOR_TICKETING,
    technician,
    createdBy: actor.id,
    ticket,
    ticketSystem: ticketing?.name ?? null,
    ticketConfirmedAt: ticketConfirmed ? now.toISOString() : null,
    reason: input.reason ?? null,
    codeHash: code === null ? null : fresh.hash,
    codeLength: code === null ? null : fresh.codeLength,
    attempts: 0,
    maxAttempts: tenant.settings.maxChecks,
    sends: kind === "passcode" ? 0 : 1,
    destinationMasked: target.masked,
    destinationHash: target.hash,
    providerRef: null,
    challenge: code === null ? null : fresh.challenge,
    prompt: customText ? { title: input.pushTitle ?? null, message: input.pushMessage ?? null } : null,
    risk: { decision: decision.action, signals: decision.reasons, ...(assurance.level === "possession" ? {} : { assurance }) },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: isoAfter(now, fresh.ttlSeconds),
    completedAt: null,
    version: 1,
  };
  const riskData = { decision: decision.action, signals: decision.reasons.map((r) => `${r.code}:${r.action}`) };
  const send: SendContext = { technician: actor.role === "admin" && input.technician !== undefined ? `${actor.id}:${input.technician}` : actor.id, sms };

  const { result: outcome } = await deps.audit.transaction(async (trx, record): Promise<VerityError | Verification | null> => {
    // Under the caller's lock: a second run racing the first sees its row here.
    await lockCaller(trx, tenant.id, user.id);
    const earlier = key === undefined ? undefined : await findVerificationByOrigin(trx, key);
    if (earlier !== undefined) return earlier;
    const refused =
      decision.action === "block"
        ? new VerityError("POLICY_BLOCKED", {
            message: `Blocked by ${tenant.name}'s policy: ${decision.reasons.map((r) => r.detail).join(" ")}`,
          })
        : await checkSubjectLimits(trx, { tenant, subjectId: user.id, kind, settings: tenant.settings, now, send, method: binding.spec.id, hint: deps.limitHint });
    if (refused !== null) {
      record({ ...refuse.base(target), action: "verification.refused", outcome: "refused", reason: refused.code, data: riskData });
      return refused;
    }
    await insertVerification(trx, verification, key ?? null);
    if (overridden) {
      record({ ...refuse.base(target), verificationId: id, action: "fraud_flag.overridden", outcome: "overridden", reason: fraudFlag.detail, data: { by: actor.name } });
    }
    record({
      ...refuse.base(target),
      verificationId: id,
      action: "verification.started",
      outcome: "pending",
      reason: verification.reason,
      data: {
        ...riskData,
        technician,
        target: target.label,
        ...(waiting === null ? {} : { waitingFor: ticketing?.name ?? "ticketing" }),
        ...(ticketing !== undefined && !ticketConfirmed && waiting === null ? { ticketUnconfirmed: ticketing.name } : {}),
      },
    });
    return null;
  });
  if (outcome instanceof VerityError) throw outcome;
  if (outcome !== null) return resumeInterrupted(deps, outcome, actor);
  deps.bus.publish(verification);
  if (waiting !== null) throw waiting;
  return deliver(deps, { tenant, binding, verification, user, target, code, actor });
}

/** Refusals before anything is recorded still leave an audit event: who asked, for whom, why. */
function refusal(deps: EngineDeps, actor: Actor, tenant: TenantRuntime, user: DirectoryUser, method: MethodBinding["spec"]["id"], ticket: string | null) {
  const base = (target?: Target): AuditEntry => ({
    actor: actor.id,
    actorName: actor.name,
    action: "",
    tenantId: tenant.id,
    subjectId: user.id,
    verificationId: null,
    ticket,
    method,
    destinationMasked: target?.masked ?? null,
    destinationHash: target?.hash ?? null,
  });
  const with_ = async (error: VerityError, target?: Target): Promise<never> => {
    await deps.audit.append([{ ...base(target), action: "verification.refused", outcome: "refused", reason: error.code, data: { detail: error.message } }]);
    throw error;
  };
  return {
    base,
    with: with_,
    /** Runs `step`; a registered 4xx refusal it throws is audited, then rethrown. */
    async unless<T>(step: () => T | Promise<T>, target?: Target): Promise<T> {
      try {
        return await step();
      } catch (error) {
        if (isVerityError(error) && error.status < 500 && !error.retryable) return with_(error, target);
        throw error;
      }
    },
  };
}
