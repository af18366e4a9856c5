import type { Kysely } from "kysely";
import type { VerificationSettings } from "../config/schema.js";
import { VerityError } from "../domain/errors.js";
import { decideLimit, type LimitRule } from "../domain/rate-limit.js";
import { subjectEventTimes } from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";
import type { TenantRuntime } from "./tenant-registry.js";

/** Audit actions that count as a failed proof of possession for the per-caller lockout. */
export const FAILURE_ACTIONS = ["check.incorrect", "check.mismatch", "push.denied", "push.fraud_reported"] as const;
/** Audit actions that reserve a send; written in the same locked transaction that checks them. */
export const SEND_ACTIONS = ["verification.started", "verification.resend_requested"] as const;

/**
 * Checks the per-caller limits from the audit log. Call it inside an audit transaction: the
 * chain lock it holds makes check-then-record atomic across processes and instances.
 * @returns the refusal, or null when within limits
 */
export async function checkSubjectLimits(
  trx: Kysely<Database>,
  input: {
    tenant: TenantRuntime;
    subjectId: string;
    kind: "code" | "push" | "passcode";
    settings: VerificationSettings;
    now: Date;
  },
): Promise<VerityError | null> {
  const { tenant, subjectId, settings, now } = input;
  const since = (rule: LimitRule) => new Date(now.getTime() - rule.windowSeconds * 1000).toISOString();
  const failures = settings.limits.failures;
  const failureTimes = await subjectEventTimes(trx, {
    tenantId: tenant.id,
    subjectId,
    actions: FAILURE_ACTIONS,
    since: since(failures),
  });
  const failureDecision = decideLimit(failures, failureTimes, now);
  if (!failureDecision.allowed) {
    return new VerityError("SUBJECT_LOCKED", { retryAfterSeconds: failureDecision.retryAfterSeconds });
  }
  if (input.kind === "passcode") return null;
  const rule = input.kind === "push" ? settings.limits.pushes : settings.limits.sends;
  const methods = [...tenant.methods.values()].filter((b) => b.spec.kind === input.kind).map((b) => b.spec.id);
  const times = await subjectEventTimes(trx, { tenantId: tenant.id, subjectId, actions: SEND_ACTIONS, methods, since: since(rule) });
  const decision = decideLimit(rule, times, now);
  if (decision.allowed) return null;
  return new VerityError(input.kind === "push" ? "PUSH_LIMIT_REACHED" : "SEND_LIMIT_REACHED", {
    retryAfterSeconds: decision.retryAfterSeconds,
  });
}
