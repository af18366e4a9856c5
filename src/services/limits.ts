import type { MethodKind } from "../domain/methods.js";
import type { Kysely } from "kysely";
import type { VerificationSettings } from "../config/schema.js";
import { ERRORS, VerityError, type ErrorCode } from "../domain/errors.js";
import { decideCount, decideLimit, retryAdvice, type LimitDecision, type LimitRule } from "../domain/rate-limit.js";
import { lockKey, onPostgres, subjectEvents, subjectEventTimes } from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";
import { recordSend, sendCounts, sendWindow, type SendScope } from "../store/send-dal.js";
import type { TenantRuntime } from "./tenant-registry.js";

/** Audit actions that count as a failed proof of possession for the per-caller lockout. */
export const FAILURE_ACTIONS = [
  "check.incorrect",
  "check.mismatch",
  "push.denied",
  "push.fraud_reported",
  "link.wrong_number",
  "link.not_me",
  "signin.rejected",
  "signin.wrong_user",
  "approval.denied",
  "faceid.rejected",
  "faceid.failed",
  "faceid.other_subject",
] as const;
/** Audit actions that reserve a send; written in the same transaction, under the caller's lock, that checks them. */
export const SEND_ACTIONS = ["verification.started", "verification.resend_requested"] as const;

/** Who sends and, for a text, where it goes: what the wider send caps count. */
export interface SendContext {
  /** The actor id, with the agent's name when an integration names one. */
  readonly technician: string;
  /** An SMS's destination country (ISO code, or +callingCode) and dialling prefix; null otherwise. */
  readonly sms: { readonly country: string; readonly prefix: string } | null;
}

interface LimitInput {
  readonly tenant: TenantRuntime;
  readonly subjectId: string;
  readonly kind: MethodKind;
  readonly settings: VerificationSettings;
  readonly now: Date;
  /** Said after the retry advice (the demo names its reset here). */
  readonly hint?: string | undefined;
}

const since = (rule: LimitRule, now: Date) => new Date(now.getTime() - rule.windowSeconds * 1000).toISOString();

/** A limit's refusal that tells the person when to try again. */
export function limitError(code: ErrorCode, decision: Extract<LimitDecision, { allowed: false }>, now: Date, hint?: string): VerityError {
  return new VerityError(code, {
    message: `${ERRORS[code].message} ${retryAdvice(decision.retryAfterSeconds, now)}${hint === undefined ? "" : ` ${hint}`}`,
    retryAfterSeconds: decision.retryAfterSeconds,
  });
}

/**
 * Serialises, until the transaction ends, every transaction that counts or spends this caller's
 * limits: what one counts cannot change under it (SQLite: its writers already run one at a time).
 * Take it before reading anything a racing twin could write (an idempotency key's row).
 */
export const lockCaller = (trx: Kysely<Database>, tenantId: string, subjectId: string): Promise<void> => lockKey(trx, `caller:${tenantId}:${subjectId}`);

/**
 * The per-caller lockout after too many wrong answers, across verifications and methods. Call it
 * inside an audit transaction, before a check is spent, so it holds at every check.
 */
export async function checkFailureLimit(trx: Kysely<Database>, input: Omit<LimitInput, "kind">): Promise<VerityError | null> {
  await lockCaller(trx, input.tenant.id, input.subjectId);
  const rule = input.settings.limits.failures;
  const times = await subjectEventTimes(trx, {
    tenantId: input.tenant.id,
    subjectId: input.subjectId,
    actions: FAILURE_ACTIONS,
    since: since(rule, input.now),
  });
  return lockout(rule, times, input.now);
}

function lockout(rule: LimitRule, failures: readonly Date[], now: Date): VerityError | null {
  const decision = decideLimit(rule, failures, now);
  if (decision.allowed) return null;
  return new VerityError("SUBJECT_LOCKED", {
    message: `Too many wrong answers for this caller (${rule.max} in ${Math.round(rule.windowSeconds / 3600)} h); escalate to a supervisor. ${retryAdvice(decision.retryAfterSeconds, now)}`,
    retryAfterSeconds: decision.retryAfterSeconds,
  });
}

/**
 * Checks every limit a send must pass, from the audit log and the send log. Call it inside an
 * audit transaction: the caller's lock (and near a cap, the cap's) makes check-then-record atomic
 * across processes and instances. When `send` is given and every limit passes, the send is recorded in the same
 * transaction.
 * @returns the refusal, or null when within limits
 */
export async function checkSubjectLimits(trx: Kysely<Database>, input: LimitInput & { send?: SendContext; method?: string }): Promise<VerityError | null> {
  const { tenant, subjectId, settings, now } = input;
  if (input.kind === "passcode") return checkFailureLimit(trx, input);
  await lockCaller(trx, tenant.id, subjectId);
  const rule = input.kind === "push" ? settings.limits.pushes : settings.limits.sends;
  // A link is a message like a code: both spend the caller's sends budget.
  const methods = new Set([...tenant.methods.values()].filter((b) => (input.kind === "push") === (b.spec.kind === "push") && b.spec.kind !== "passcode").map((b) => b.spec.id));
  // The caller's failures and sends in one query, each then judged over its own window.
  const failureRule = settings.limits.failures;
  const failuresSince = since(failureRule, now);
  const sendsSince = since(rule, now);
  const events = await subjectEvents(trx, {
    tenantId: tenant.id,
    subjectId,
    actions: [...FAILURE_ACTIONS, ...SEND_ACTIONS],
    since: failuresSince < sendsSince ? failuresSince : sendsSince,
  });
  const failed = new Set<string>(FAILURE_ACTIONS);
  const locked = lockout(
    failureRule,
    events.filter((e) => failed.has(e.action) && e.at.toISOString() > failuresSince).map((e) => e.at),
    now,
  );
  if (locked !== null) return locked;
  const times = events.filter((e) => !failed.has(e.action) && e.method !== null && methods.has(e.method) && e.at.toISOString() > sendsSince).map((e) => e.at);
  const decision = decideLimit(rule, times, now);
  if (!decision.allowed) return limitError(input.kind === "push" ? "PUSH_LIMIT_REACHED" : "SEND_LIMIT_REACHED", decision, now, input.hint);
  if (input.send === undefined) return null;
  const send = input.send;
  const caps: [ErrorCode, SendScope, LimitRule][] = [
    ["TECHNICIAN_SEND_LIMIT", { by: "technician", value: send.technician }, settings.limits.technician],
    ["TENANT_SEND_LIMIT", { by: "tenant_id", value: tenant.id }, settings.limits.tenant],
    ["TENANT_DAILY_BUDGET", { by: "tenant_id", value: tenant.id }, settings.limits.tenantDaily],
    ...(send.sms === null
      ? []
      : ([
          ["COUNTRY_SEND_LIMIT", { by: "country", value: send.sms.country }, settings.limits.smsCountry],
          ["PREFIX_SEND_LIMIT", { by: "prefix", value: send.sms.prefix }, settings.limits.smsPrefix],
        ] as [ErrorCode, SendScope, LimitRule][])),
  ];
  const postgres = onPostgres(trx);
  // Every cap counted in one query; a cap at its limit is read again for when it frees up.
  const { counts, connections } = await sendCounts(
    trx,
    caps.map(([, scope, cap]) => ({ scope, since: since(cap, now) })),
  );
  for (const [i, [code, scope, cap]] of caps.entries()) {
    let count = counts[i] ?? 0;
    let nthNewest: Date | undefined;
    // PostgreSQL: other transactions may be spending the same cap right now, each at most one send
    // and at most one per connection the server allows. While the count is that far below the
    // cap none of them can matter; nearer, the cap's own lock makes count-then-record atomic.
    // (Caps are locked in this fixed order, after the caller, so two transactions never wait on
    // each other in a circle.)
    const contended = postgres && count + (connections ?? Infinity) >= cap.max;
    if (contended) await lockKey(trx, `cap:${scope.by}:${scope.value}`);
    if (contended || count >= cap.max) ({ count, nthNewest } = await sendWindow(trx, scope, since(cap, now), cap.max));
    const capDecision = decideCount(cap, count, nthNewest, now);
    if (!capDecision.allowed) return limitError(code, capDecision, now, input.hint);
  }
  await recordSend(trx, {
    at: now.toISOString(),
    tenant_id: tenant.id,
    technician: send.technician,
    subject_id: subjectId,
    method: input.method ?? input.kind,
    country: send.sms?.country ?? null,
    prefix: send.sms?.prefix ?? null,
  });
  return null;
}
