import { createHmac, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { ENDING_ACTIONS, FRAUD_REPORT_ACTIONS } from "../domain/audit-actions.js";
import type { KeyRing } from "../domain/keys.js";
import { methodLabel, parseMethod } from "../domain/methods.js";
import {
  outcomeOf,
  TEST_EVENT_TYPE,
  type DeliveryOutcome,
  type NotificationEventType,
  type NotificationMessage,
  type NotificationOutcome,
  type Notifier,
  type VerificationEventData,
} from "../domain/notifications.js";
import { isVerityError } from "../domain/errors.js";
import type { Clock, ProbeResult } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";
import { firstVerificationEvent } from "../store/audit-dal.js";
import { disableDestination, disabledDestinations, enableDestination, findDisabledDestination } from "../store/notification-dal.js";
import type { Database } from "../store/schema.js";
import { findVerification } from "../store/verification-dal.js";
import type { AuditObserver, AuditWriter } from "./audit-service.js";
import type { JobKind, JobQueue } from "./job-queue.js";
import type { TenantRegistry } from "./tenant-registry.js";

/** Webhooks are retried for two days (Standard Webhooks: "over days"); chat messages and emails for an hour. */
export const WEBHOOK_NOTIFY_JOB = "notify.webhook";
export const CHAT_NOTIFY_JOB = "notify.chat";

/** A configured destination, ready to send to. */
export interface NotificationDestination {
  /** A keyed hash of its kind and URL: its identity in jobs and in the disabled list. */
  readonly key: string;
  readonly notifier: Notifier;
  readonly events: ReadonlySet<NotificationEventType>;
  /** `verification.completed` only for these outcomes; null for all. */
  readonly outcomes: ReadonlySet<NotificationOutcome> | null;
  /** The tenant whose list names it; null for the top-level list (every tenant). */
  readonly tenantId: string | null;
}

/** What a queued job holds: no URL, no secret; the destination is found again by its key. */
interface NotifyPayload {
  readonly destination: string;
  readonly label: string;
  readonly messageId: string;
  readonly message: NotificationMessage;
  readonly tenantId: string | null;
  readonly verificationId: string | null;
}

const ENDINGS: ReadonlySet<string> = new Set(ENDING_ACTIONS);

/** A destination's identity, keyed so the table of disabled destinations never holds its URL. */
export function destinationKey(keys: KeyRing, kind: string, url: string): string {
  return createHmac("sha256", keys.destination).update(`notification-destination\n${kind}\n${url}`).digest("base64url");
}

export interface NotificationDestinations {
  /** The top-level destinations and the tenant's own, each once. */
  forTenant(tenantId: string): readonly NotificationDestination[];
  byKey(key: string): NotificationDestination | undefined;
  all(): readonly NotificationDestination[];
}

export function createNotificationDestinations(list: readonly NotificationDestination[]): NotificationDestinations {
  const byKey = new Map<string, NotificationDestination>();
  for (const d of list) if (!byKey.has(d.key)) byKey.set(d.key, d);
  return {
    forTenant(tenantId) {
      const seen = new Set<string>();
      return list.filter((d) => (d.tenantId === null || d.tenantId === tenantId) && !seen.has(d.key) && seen.add(d.key));
    },
    byKey: (key) => byKey.get(key),
    all: () => list,
  };
}

/** The event's data: who, what, when, and the audit event that proves it. Never a code, nor a number or address but masked. */
export function verificationEventData(v: Verification, event: ChainedAuditEvent, context: { tenantName: string; publicUrl: string | undefined }): VerificationEventData | null {
  const outcome = outcomeOf({ state: v.state, stateReason: v.stateReason, methodKind: parseMethod(v.method).kind });
  if (outcome === null) return null;
  return {
    verificationId: v.id,
    tenant: { id: v.tenantId, name: context.tenantName },
    outcome,
    reason: v.stateReason === null ? null : v.stateReason.slice(0, 200),
    method: v.method,
    methodLabel: methodLabel(v.method),
    ticket: v.ticket === null ? null : { id: v.ticket, system: v.ticketSystem, confirmed: v.ticketSystem !== null && v.ticketConfirmedAt !== null },
    sentTo: v.destinationMasked,
    subject: { displayName: v.subjectName, directoryId: v.subjectId },
    technician: v.technician,
    at: event.at,
    evidence: { auditEventId: event.id, seq: event.seq, hash: event.hash, action: event.action },
    link: context.publicUrl === undefined ? null : `${context.publicUrl.replace(/\/+$/, "")}/history/${encodeURIComponent(v.id)}`,
  };
}

/**
 * Queues one message per matching destination in the transaction of the ending it reports (a
 * transactional outbox): an outage of a receiver delays messages and never loses one, and a
 * verification never waits for a receiver. The first ending of a verification is its
 * `verification.completed`; a push reported as fraud is also `verification.fraud_reported`
 * (a chat destination gets that one alone, not two messages for one event).
 */
export function createNotificationsObserver(deps: {
  destinations: NotificationDestinations;
  tenants: Pick<TenantRegistry, "get">;
  queue: JobQueue;
  publicUrl: string | undefined;
}): AuditObserver {
  return {
    async inTransaction(trx: Kysely<Database>, events: readonly ChainedAuditEvent[]) {
      for (const event of events) {
        if (!ENDINGS.has(event.action) || event.verificationId === null || event.tenantId === null) continue;
        const destinations = deps.destinations.forTenant(event.tenantId);
        if (destinations.length === 0) continue;
        const v = await findVerification(trx, event.verificationId);
        if (v === undefined) continue;
        const data = verificationEventData(v, event, { tenantName: deps.tenants.get(v.tenantId)?.name ?? v.tenantId, publicUrl: deps.publicUrl });
        if (data === null) continue;
        const types: NotificationEventType[] = [];
        if ((await firstVerificationEvent(trx, v.id, ENDING_ACTIONS))?.id === event.id) types.push("verification.completed");
        if (FRAUD_REPORT_ACTIONS.includes(event.action)) types.push("verification.fraud_reported");
        if (types.length === 0) continue;
        const disabled = await disabledDestinations(trx, destinations.map((d) => d.key));
        for (const d of destinations) {
          if (disabled.has(d.key)) continue;
          let wanted = types.filter((t) => d.events.has(t) && (t !== "verification.completed" || d.outcomes === null || d.outcomes.has(data.outcome)));
          if (d.notifier.kind !== "webhook" && wanted.includes("verification.fraud_reported")) wanted = ["verification.fraud_reported"];
          for (const type of wanted) {
            const payload: NotifyPayload = {
              destination: d.key,
              label: d.notifier.label,
              messageId: `msg_${event.id}${type === "verification.completed" ? "" : "_fraud"}`,
              message: { type, timestamp: event.at, data },
              tenantId: v.tenantId,
              verificationId: v.id,
            };
            await deps.queue.enqueue(trx, d.notifier.kind === "webhook" ? WEBHOOK_NOTIFY_JOB : CHAT_NOTIFY_JOB, payload, {
              dedupeKey: `notify:${event.id}:${type}:${d.key}`,
            });
          }
        }
      }
    },
    afterCommit() {
      deps.queue.kick();
    },
  };
}

const TIMINGS = {
  [WEBHOOK_NOTIFY_JOB]: { maxAgeMs: 48 * 3600_000, baseDelayMs: 10_000, maxDelayMs: 2 * 3600_000, alertAfterMs: 15 * 60_000 },
  [CHAT_NOTIFY_JOB]: { maxAgeMs: 3600_000, baseDelayMs: 5000, maxDelayMs: 5 * 60_000, alertAfterMs: 15 * 60_000 },
} as const;

/**
 * Sends one queued message. A destination that answers 410 Gone is disabled (and audited as
 * `notification.disabled`) and gets nothing more; a message given up on is audited as
 * `notification.failed` with the destination's label and the reason.
 */
export function notifyJob(
  jobKind: typeof WEBHOOK_NOTIFY_JOB | typeof CHAT_NOTIFY_JOB,
  deps: { destinations: Pick<NotificationDestinations, "byKey">; db: Kysely<Database>; audit: AuditWriter; clock: Clock; log: Pick<Logger, "warn"> },
): JobKind {
  return {
    concurrency: 2,
    ...TIMINGS[jobKind],
    async handle(raw) {
      const p = raw as NotifyPayload;
      const destination = deps.destinations.byKey(p.destination);
      if (destination === undefined) {
        deps.log.warn({ destination: p.label, messageId: p.messageId }, "notification dropped: its destination is no longer configured");
        return;
      }
      if ((await disabledDestinations(deps.db, [destination.key])).size > 0) return;
      const outcome = await destination.notifier.deliver(p.message, { messageId: p.messageId, now: deps.clock.now() });
      if (outcome === "gone") await disable(deps, destination, p);
    },
    async onGiveUp(raw, error) {
      const p = raw as NotifyPayload;
      await deps.audit.append([
        {
          actor: "system",
          action: "notification.failed",
          tenantId: p.tenantId,
          verificationId: p.verificationId,
          outcome: "failed",
          reason: error,
          data: { destination: p.label, type: p.message.type, messageId: p.messageId },
        },
      ]);
    },
  };
}

async function disable(deps: { audit: AuditWriter; clock: Clock }, destination: NotificationDestination, p: NotifyPayload): Promise<void> {
  const reason = `${destination.notifier.label} answered 410 Gone`;
  await deps.audit.transaction(async (trx, record) => {
    const now = deps.clock.now().toISOString();
    if (!(await disableDestination(trx, { key: destination.key, label: destination.notifier.label, reason, now }))) return;
    record({
      actor: "system",
      action: "notification.disabled",
      tenantId: destination.tenantId,
      verificationId: p.verificationId,
      outcome: "disabled",
      reason: `${reason}; nothing more is sent to it until its URL changes`,
      data: { destination: destination.notifier.label, messageId: p.messageId },
    });
  });
}

/**
 * Sends a `verity.test` message straight away, not queued and not retried (the integrations
 * page's "Test connection"), and says in words what the destination answered. A disabled
 * destination (it answered 410 Gone) that takes the test message is enabled again, audited as
 * `notification.enabled`: that is how an administrator brings back a receiver that said 410 by
 * mistake. Messages dropped while it was disabled are not sent.
 */
export async function probeDestination(
  destination: NotificationDestination,
  deps: { clock: Clock; db: Kysely<Database>; audit: Pick<AuditWriter, "transaction"> },
): Promise<ProbeResult> {
  const now = deps.clock.now();
  const { label } = destination.notifier;
  let outcome: DeliveryOutcome;
  try {
    outcome = await destination.notifier.deliver(
      { type: TEST_EVENT_TYPE, timestamp: now.toISOString(), data: { message: "A test message from Verity: this destination is configured correctly." } },
      { messageId: `msg_test_${randomUUID()}`, now },
    );
  } catch (error) {
    if (isVerityError(error)) return { ok: false, detail: error.message };
    throw error;
  }
  const disabled = await findDisabledDestination(deps.db, destination.key);
  if (outcome === "gone") {
    return { ok: false, detail: `${label} answered 410 Gone: it no longer exists${disabled === undefined ? "" : ", and Verity stopped sending to it"}. Configure a new URL.` };
  }
  if (disabled === undefined) return { ok: true, detail: `${label} took a test message (type ${TEST_EVENT_TYPE}).` };
  await deps.audit.transaction(async (trx, record) => {
    if (!(await enableDestination(trx, destination.key))) return;
    record({
      actor: "system",
      action: "notification.enabled",
      tenantId: destination.tenantId,
      outcome: "enabled",
      reason: `${label} took a test message after being disabled (${disabled.reason})`,
      data: { destination: label, disabledAt: disabled.disabledAt },
    });
  });
  return { ok: true, detail: `${label} took a test message. It had been disabled since ${disabled.disabledAt} (${disabled.reason}); Verity sends to it again from now on.` };
}
