import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { canonicalJson } from "../domain/audit-chain.js";
import { isVerityError, VerityError } from "../domain/errors.js";
import { escapeHtml } from "../domain/html.js";
import type { Clock, TicketContact, TicketingSystem, TriggerConfirm, TriggerEvent } from "../domain/ports.js";
import type { Database } from "../store/schema.js";
import type { Actor } from "./actor.js";
import type { AuditWriter, RecordAudit } from "./audit-service.js";
import type { JobKind, JobQueue } from "./job-queue.js";
import type { TenantRegistry, TenantRuntime } from "./tenant-registry.js";
import { isTicketingOutage } from "./ticket-binding.js";
import { NOTE_JOB, type NotePayload } from "./ticket-notes.js";
import type { CheckView, VerificationEngine } from "./verification-engine.js";

/**
 * A ticketing system's trigger ("Verify User" on a HaloPSA ticket, a ConnectWise callback, a
 * ServiceNow UI action…) turned into a verification, the same way for every system: the delivery
 * is queued durably once, the ticket's contact is read from the system itself (never taken from
 * the trigger), the tenant is the one that serves that contact through this system, and the
 * engine starts the tenant's ticket method for that person alone. Codes typed into the system come
 * back through `confirmFromTicket`, which reaches only the ticket's own contact's verification.
 */

export const TICKET_TRIGGER_JOB = "ticket.trigger";

/** A press older (or further ahead) than this is a resend or a clock fault, not a caller on the line. */
const MAX_SKEW_MS = 5 * 60_000;

/** One configured system as triggers see it. */
export interface TriggerSource {
  readonly name: string;
  /** The configuration kind (`halopsa`, `servicenow`…): with the name, the audit actor `<kind>:<name>`. */
  readonly kind: string;
  readonly system: TicketingSystem;
}

/** One queued trigger: nothing in it but the ticket reference is trusted. */
export interface TriggerPayload {
  readonly system: string;
  readonly deliveryId: string;
  readonly ticket: string;
  /** The contact's email if the trigger carried one: it only picks the tenant early, so reads overlap. */
  readonly emailHint: string | null;
  readonly agent: string | null;
}

export interface TriggerIntakeResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly stale: number;
  readonly refused: number;
}

const actorId = (source: TriggerSource) => `${source.kind}:${source.name}`;

/**
 * Queues each trigger durably, once. A trigger whose freshness cannot be told (no readable time)
 * or whose delivery id was used before for a different request is refused, audited, and explained
 * on its ticket; a stale one is audited and ignored; a replay of the same delivery is a no-op.
 * @throws WEBHOOK_TIMESTAMP_INVALID (nothing queued) or DELIVERY_ID_REUSED (when nothing was accepted)
 */
export async function acceptTriggers(
  deps: { audit: AuditWriter; queue: JobQueue; clock: Clock },
  source: TriggerSource,
  events: readonly TriggerEvent[],
): Promise<TriggerIntakeResult> {
  const actor = actorId(source);
  const undated = events.filter((d) => d.raisedAt === null);
  if (undated.length > 0) {
    const reason = `${source.system.vendor} sent no readable timestamp, so Verity cannot tell a fresh press from a replayed one; nothing was done. Check the trigger's payload.`;
    for (const d of undated) {
      await deps.audit.transaction((trx, record) => queueRefusal(trx, deps.queue, record, source, d, "WEBHOOK_TIMESTAMP_INVALID", reason));
    }
    deps.queue.kick();
    throw new VerityError("WEBHOOK_TIMESTAMP_INVALID", { details: { deliveries: undated.map((d) => d.deliveryId) } });
  }
  let accepted = 0;
  let stale = 0;
  let refused = 0;
  for (const event of events) {
    const skew = Math.abs(deps.clock.now().getTime() - (event.raisedAt as Date).getTime());
    if (skew > MAX_SKEW_MS) {
      stale += 1;
      await deps.audit.append([
        {
          actor,
          action: "webhook.stale",
          ticket: event.ticket,
          outcome: "ignored",
          reason: `raised ${Math.round(skew / 60_000)} minutes from now; only presses within 5 minutes are acted on`,
          data: { delivery: event.deliveryId },
        },
      ]);
      continue;
    }
    const payload: TriggerPayload = { system: source.name, deliveryId: event.deliveryId, ticket: event.ticket, emailHint: event.emailHint, agent: event.agent };
    const bodyHash = createHash("sha256").update(canonicalJson(payload)).digest("base64url");
    const { result } = await deps.audit.transaction(async (trx, record) => {
      const inserted = await trx
        .insertInto("webhook_deliveries")
        .values({ source: actor, delivery_id: event.deliveryId, body_hash: bodyHash, received_at: deps.clock.now().toISOString() })
        .onConflict((oc) => oc.columns(["source", "delivery_id"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
        await deps.queue.enqueue(trx, TICKET_TRIGGER_JOB, payload);
        record({ actor, action: "webhook.received", ticket: event.ticket, outcome: "queued", data: { delivery: event.deliveryId } });
        return "accepted" as const;
      }
      const earlier = await trx
        .selectFrom("webhook_deliveries")
        .select("body_hash")
        .where("source", "=", actor)
        .where("delivery_id", "=", event.deliveryId)
        .executeTakeFirst();
      if (earlier === undefined || earlier.body_hash === bodyHash) return "duplicate" as const;
      await queueRefusal(trx, deps.queue, record, source, event, "DELIVERY_ID_REUSED", `${source.system.vendor} sent a different press under a delivery id it had used before; nothing was done.`);
      return "refused" as const;
    });
    if (result === "accepted") accepted += 1;
    if (result === "refused") refused += 1;
  }
  if (refused > 0 || accepted > 0) deps.queue.kick();
  if (refused > 0 && accepted === 0) throw new VerityError("DELIVERY_ID_REUSED");
  return { accepted, duplicates: events.length - accepted - stale - refused, stale, refused };
}

/** Audits a refused trigger and tells its ticket why nothing happened (one note per delivery id). */
async function queueRefusal(
  trx: Kysely<Database>,
  queue: JobQueue,
  record: RecordAudit,
  source: TriggerSource,
  d: TriggerEvent,
  code: string,
  reason: string,
): Promise<void> {
  record({ actor: actorId(source), action: "webhook.refused", ticket: d.ticket, outcome: "refused", reason: code, data: { delivery: d.deliveryId, detail: reason } });
  const note: NotePayload = {
    system: source.name,
    ticket: d.ticket,
    html: `<p><b>Verity refused a request from this ticket to verify its caller</b></p><p>${escapeHtml(reason)}</p><p><small>Verity webhook delivery ${escapeHtml(d.deliveryId)}</small></p>`,
    marker: `${d.deliveryId}:refused`,
    verificationId: null,
    tenantId: null,
  };
  await queue.enqueue(trx, NOTE_JOB, note, { dedupeKey: `note:webhook-refused:${source.name}:${d.deliveryId}:${code}` });
}

/** The tenant that serves a contact's email through this system; a person-readable refusal otherwise. */
function tenantFor(tenants: TenantRegistry, source: TriggerSource, email: string): TenantRuntime | string {
  let tenant: TenantRuntime;
  try {
    tenant = tenants.resolve(undefined, email);
  } catch (error) {
    return error instanceof Error ? error.message : "No tenant matches the caller's email domain.";
  }
  if (tenant.ticketing?.systems.has(source.name) !== true) return `${tenant.name} is not served through this ${source.system.vendor} (${source.name}).`;
  return tenant;
}

/**
 * A code typed into the ticketing system for a ticket. The verification it checks is the newest
 * one of the ticket's own contact (read from the system) on that ticket, started through this
 * system: a confirm cannot reach another caller's or another tenant's verification.
 */
export async function confirmFromTicket(
  deps: { tenants: TenantRegistry; engine: VerificationEngine },
  source: TriggerSource,
  input: TriggerConfirm,
): Promise<CheckView> {
  const [contact, agent] = await Promise.all([
    source.system.ticketContact(input.ticket),
    input.agent === null || source.system.agentName === undefined ? null : source.system.agentName(input.agent).catch(() => null),
  ]);
  const notFound = new VerityError("VERIFICATION_NOT_FOUND", {
    message: `No verification of ticket ${input.ticket}'s own contact was started on that ticket through this ${source.system.vendor}.`,
  });
  if (contact.email === null) throw notFound;
  const tenant = tenantFor(deps.tenants, source, contact.email);
  if (typeof tenant === "string") throw notFound;
  const actor: Actor = {
    id: actorId(source),
    name: agent === null ? `a ${source.system.vendor} agent (confirm action)` : `${agent} (${source.system.vendor})`,
    role: "admin",
    tenants: [tenant.id],
  };
  const v = await deps.engine.findForTicket(actor, { tenantId: tenant.id, system: source.name, ticket: input.ticket, contact });
  return deps.engine.check(actor, v.id, input.code);
}

const startKey = (p: TriggerPayload, kind: string) => `${kind}:${p.system}:${p.deliveryId}`;

/**
 * Turns a queued trigger into a verification. The ticket's contact is read from the system (never
 * taken from the trigger) while the directory reads run, and the engine starts the tenant's ticket
 * method only for that person. When the system cannot be reached the verification waits for it
 * (its status says so) and the job retries every few seconds, so the text goes out within seconds
 * of the system's return. When it cannot start, a note on the ticket says why.
 */
export function ticketTriggerJob(deps: {
  sources: ReadonlyMap<string, TriggerSource>;
  tenants: TenantRegistry;
  engine: VerificationEngine;
  audit: AuditWriter;
  queue: JobQueue;
}): JobKind {
  const failureNote = async (source: TriggerSource, p: TriggerPayload, reason: string, tenantId: string | null) => {
    const html = `<p><b>Verity could not start a verification</b></p><p>${escapeHtml(reason)}</p><p><small>Verity webhook delivery ${escapeHtml(p.deliveryId)}</small></p>`;
    const note: NotePayload = { system: p.system, ticket: p.ticket, html, marker: p.deliveryId, verificationId: null, tenantId };
    await deps.audit.transaction(async (trx, record) => {
      record({ actor: actorId(source), action: "integration.failed", tenantId, ticket: p.ticket, outcome: "failed", reason, data: { delivery: p.deliveryId } });
      await deps.queue.enqueue(trx, NOTE_JOB, note, { dedupeKey: `note:webhook:${p.system}:${p.deliveryId}` });
    });
    deps.queue.kick();
  };
  const sourceOf = (p: TriggerPayload): TriggerSource => {
    const source = deps.sources.get(p.system);
    if (source === undefined) throw new VerityError("TICKETING_ERROR", { message: `Ticketing system ${p.system} is not configured.` });
    return source;
  };

  return {
    concurrency: 4,
    // The caller is on the phone: after three minutes a late SMS helps nobody.
    maxAgeMs: 3 * 60_000,
    baseDelayMs: 1000,
    // While the system is away the press is retried at least every 4 s, so the text follows its return.
    maxDelayMs: 4000,
    async handle(raw, context) {
      const p = raw as TriggerPayload;
      const source = sourceOf(p);
      const { system } = source;
      const fail = (error: unknown, tenantId: string | null) => {
        if (isVerityError(error) && !error.retryable) return failureNote(source, p, error.message, tenantId);
        throw error;
      };
      // The ticket's contact and the agent's name are read while the directory is (critical path:
      // max(system ticket → contact, directory user → methods), then the send).
      const contact = system.ticketContact(p.ticket);
      contact.catch(() => undefined);
      const agent = p.agent === null || system.agentName === undefined ? Promise.resolve(null) : system.agentName(p.agent).catch(() => null);
      let email = p.emailHint;
      if (email === null) {
        let read: TicketContact;
        try {
          read = await contact;
        } catch (error) {
          if (isTicketingOutage(error) && context.attempt === 1) await noteWaiting(deps.audit, source, p);
          return fail(error, null);
        }
        if (read.email === null) return failureNote(source, p, `The ticket has no contact with an email address in ${system.vendor}.`, null);
        email = read.email;
      }
      const tenant = tenantFor(deps.tenants, source, email);
      if (typeof tenant === "string") return failureNote(source, p, tenant, null);
      const actor: Actor = { id: actorId(source), name: system.vendor, role: "admin", tenants: [tenant.id] };
      try {
        await deps.engine.start(
          actor,
          {
            tenant: tenant.id,
            user: email,
            method: tenant.ticketing?.method ?? "sms",
            ticket: p.ticket,
            ticketSystem: p.system,
            reason: `requested from the ticket in ${system.vendor}`,
            technician: (await agent) ?? "the service desk",
          },
          // A retry of this job (after a crash or an outage) finds the verification it made.
          { ticketContact: contact, waitForTicketing: true, idempotencyKey: startKey(p, source.kind) },
        );
      } catch (error) {
        return fail(error, tenant.id);
      }
    },
    async onGiveUp(raw, error) {
      const p = raw as TriggerPayload;
      const source = deps.sources.get(p.system);
      if (source === undefined) return;
      await deps.engine.abandonWaiting(startKey(p, source.kind), `${source.system.vendor} did not confirm the ticket in time; nothing was sent. ${error}`);
      await failureNote(source, p, `Verity kept failing to start it: ${error}`, null);
    },
  };
}

/** Said once when the system is away before Verity even knows who the caller is. */
async function noteWaiting(audit: AuditWriter, source: TriggerSource, p: TriggerPayload): Promise<void> {
  await audit.append([
    {
      actor: actorId(source),
      action: "integration.waiting",
      ticket: p.ticket,
      outcome: "waiting",
      reason: `${source.system.vendor} cannot be reached to read the ticket's contact; the press is retried every few seconds.`,
      data: { delivery: p.deliveryId },
    },
  ]);
}
