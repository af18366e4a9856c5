import { createHash } from "node:crypto";
import type { HaloClient } from "../../adapters/ticketing/halopsa/halopsa-client.js";
import type { HaloWebhook } from "../../adapters/ticketing/halopsa/halopsa-webhook-payload.js";
import { canonicalJson } from "../../domain/audit-chain.js";
import { VerityError } from "../../domain/errors.js";
import { escapeHtml } from "../../domain/html.js";
import type { Clock, TicketingSystem } from "../../domain/ports.js";
import type { Actor } from "../../services/actor.js";
import type { AuditWriter, RecordAudit } from "../../services/audit-service.js";
import type { JobQueue } from "../../services/job-queue.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import { NOTE_JOB, type NotePayload } from "../../services/ticket-notes.js";
import type { CheckView, VerificationEngine } from "../../services/verification-engine.js";
import { HALO_VERIFY_JOB, type HaloVerifyPayload } from "./halopsa-verify-job.js";
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";

/** A press older (or further ahead) than this is a resend or a clock fault, not a caller on the line. */
const MAX_SKEW_MS = 5 * 60_000;

export interface IntakeDeps {
  readonly audit: AuditWriter;
  readonly queue: JobQueue;
  readonly clock: Clock;
}

export interface IntakeResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly stale: number;
  readonly refused: number;
}

type Delivery = HaloVerifyPayload & { readonly raisedAt: Date | null };

/** The deliveries a webhook body holds, in one shape. Nothing in them but the ticket id is trusted. */
export function deliveriesOf(instance: string, parsed: HaloWebhook): Delivery[] {
  return parsed.format === "runbook"
    ? parsed.deliveries.map((d) => ({ instance, deliveryId: d.deliveryId, ticketId: d.ticketId, email: d.email, agentId: null, raisedAt: d.timestamp }))
    : [{ instance, deliveryId: parsed.deliveryId, ticketId: parsed.ticketId, email: parsed.ticketUserEmail ?? null, agentId: parsed.agentId, raisedAt: parsed.timestamp }];
}

/**
 * Queues each "Verify User" press durably, once. A press whose freshness cannot be told (no
 * readable timestamp) or whose id was used before for a different press is refused, audited, and
 * explained on its ticket; a stale one is audited and ignored; a replay of the same press is a
 * no-op.
 * @throws WEBHOOK_TIMESTAMP_INVALID (nothing queued) or DELIVERY_ID_REUSED (when nothing was accepted)
 */
export async function acceptPresses(deps: IntakeDeps, instance: string, deliveries: readonly Delivery[]): Promise<IntakeResult> {
  const actor = `halopsa:${instance}`;
  const undated = deliveries.filter((d) => d.raisedAt === null);
  if (undated.length > 0) {
    const reason = "HaloPSA sent no readable timestamp, so Verity cannot tell a fresh press from a replayed one; nothing was done. Check the webhook's payload.";
    for (const d of undated) await refuseWithNote(deps, d, actor, "WEBHOOK_TIMESTAMP_INVALID", reason);
    throw new VerityError("WEBHOOK_TIMESTAMP_INVALID", { details: { deliveries: undated.map((d) => d.deliveryId) } });
  }
  let accepted = 0;
  let stale = 0;
  let refused = 0;
  for (const { raisedAt, ...delivery } of deliveries) {
    const skew = Math.abs(deps.clock.now().getTime() - (raisedAt as Date).getTime());
    if (skew > MAX_SKEW_MS) {
      stale += 1;
      await deps.audit.append([
        {
          actor,
          action: "webhook.stale",
          ticket: String(delivery.ticketId),
          outcome: "ignored",
          reason: `raised ${Math.round(skew / 60_000)} minutes from now; only presses within 5 minutes are acted on`,
          data: { delivery: delivery.deliveryId },
        },
      ]);
      continue;
    }
    const bodyHash = createHash("sha256").update(canonicalJson(delivery)).digest("base64url");
    const { result } = await deps.audit.transaction(async (trx, record) => {
      const inserted = await trx
        .insertInto("webhook_deliveries")
        .values({ source: actor, delivery_id: delivery.deliveryId, body_hash: bodyHash, received_at: deps.clock.now().toISOString() })
        .onConflict((oc) => oc.columns(["source", "delivery_id"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
        await deps.queue.enqueue(trx, HALO_VERIFY_JOB, delivery);
        record({ actor, action: "webhook.received", ticket: String(delivery.ticketId), outcome: "queued", data: { delivery: delivery.deliveryId } });
        return "accepted" as const;
      }
      const earlier = await trx
        .selectFrom("webhook_deliveries")
        .select("body_hash")
        .where("source", "=", actor)
        .where("delivery_id", "=", delivery.deliveryId)
        .executeTakeFirst();
      if (earlier === undefined || earlier.body_hash === bodyHash) return "duplicate" as const;
      await queueRefusal(trx, deps.queue, record, { ...delivery, raisedAt }, actor, "DELIVERY_ID_REUSED", "HaloPSA sent a different press under a delivery id it had used before; nothing was done.");
      return "refused" as const;
    });
    if (result === "accepted") accepted += 1;
    if (result === "refused") refused += 1;
  }
  if (refused > 0 || accepted > 0) deps.queue.kick();
  if (refused > 0 && accepted === 0) throw new VerityError("DELIVERY_ID_REUSED");
  return { accepted, duplicates: deliveries.length - accepted - stale - refused, stale, refused };
}

async function refuseWithNote(deps: IntakeDeps, d: Delivery, actor: string, code: string, reason: string): Promise<void> {
  await deps.audit.transaction((trx, record) => queueRefusal(trx, deps.queue, record, d, actor, code, reason));
  deps.queue.kick();
}

/** Audits a refused press and tells its ticket why nothing happened (one note per delivery id). */
async function queueRefusal(trx: Kysely<Database>, queue: JobQueue, record: RecordAudit, d: Delivery, actor: string, code: string, reason: string): Promise<void> {
  record({ actor, action: "webhook.refused", ticket: String(d.ticketId), outcome: "refused", reason: code, data: { delivery: d.deliveryId, detail: reason } });
  const note: NotePayload = {
    system: d.instance,
    ticket: String(d.ticketId),
    html: `<p><b>Verity refused a Verify User press on this ticket</b></p><p>${escapeHtml(reason)}</p><p><small>Verity webhook delivery ${escapeHtml(d.deliveryId)}</small></p>`,
    marker: `${d.deliveryId}:refused`,
    verificationId: null,
    tenantId: null,
  };
  await queue.enqueue(trx, NOTE_JOB, note, { dedupeKey: `note:webhook-refused:${d.instance}:${d.deliveryId}:${code}` });
}

/**
 * A code typed into Halo's confirm action for a ticket. The verification it checks is the newest
 * one of the ticket's own end user (read from Halo) on that ticket, started for this instance:
 * a confirm cannot reach another caller's or another tenant's verification.
 */
export async function confirmFromHalo(
  deps: { systems: ReadonlyMap<string, TicketingSystem>; clients: ReadonlyMap<string, HaloClient>; tenants: TenantRegistry; engine: VerificationEngine },
  instance: string,
  input: { ticketId: number; code: string; agentId: number | null },
): Promise<CheckView> {
  const system = deps.systems.get(instance);
  if (system === undefined) throw new VerityError("NOT_FOUND");
  const ticket = String(input.ticketId);
  const [contact, agent] = await Promise.all([
    system.ticketContact(ticket),
    input.agentId === null ? null : (deps.clients.get(instance)?.getAgent(input.agentId).catch(() => null) ?? null),
  ]);
  const notFound = new VerityError("VERIFICATION_NOT_FOUND", { message: `No verification of ticket ${ticket}'s end user was started on that ticket through this HaloPSA.` });
  if (contact.email === null) throw notFound;
  let tenantId: string;
  try {
    const tenant = deps.tenants.resolve(undefined, contact.email);
    if (tenant.ticketing?.systemName !== instance) throw notFound;
    tenantId = tenant.id;
  } catch {
    throw notFound;
  }
  const who = agent?.name ?? null;
  const actor: Actor = { id: `halopsa:${instance}`, name: who === null ? "a HaloPSA agent (confirm action)" : `${who} (HaloPSA)`, role: "admin", tenants: [tenantId] };
  const v = await deps.engine.findForTicket(actor, { tenantId, system: instance, ticket, contact });
  return deps.engine.check(actor, v.id, input.code);
}
