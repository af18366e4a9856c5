import type { HaloClient } from "../../adapters/ticketing/halopsa/halopsa-client.js";
import { escapeHtml } from "../../domain/html.js";
import { isVerityError, VerityError } from "../../domain/errors.js";
import type { TicketContact, TicketingSystem } from "../../domain/ports.js";
import type { Actor } from "../../services/actor.js";
import type { AuditWriter } from "../../services/audit-service.js";
import type { JobKind, JobQueue } from "../../services/job-queue.js";
import { NOTE_JOB, type NotePayload } from "../../services/ticket-notes.js";
import { isTicketingOutage } from "../../services/ticket-binding.js";
import type { TenantRegistry, TenantRuntime } from "../../services/tenant-registry.js";
import type { VerificationEngine } from "../../services/verification-engine.js";

export const HALO_VERIFY_JOB = "halopsa.verify";

/** One "Verify User" press, as queued by the webhook route. */
export interface HaloVerifyPayload {
  readonly instance: string;
  readonly deliveryId: string;
  readonly ticketId: number;
  /**
   * The end user's email when the body carried one: only a hint that picks the tenant early, so
   * the directory reads overlap the ticket read. Halo's own record of the ticket decides.
   */
  readonly email: string | null;
  readonly agentId: number | null;
}

interface Deps {
  readonly clients: ReadonlyMap<string, HaloClient>;
  readonly systems: ReadonlyMap<string, TicketingSystem>;
  readonly tenants: TenantRegistry;
  readonly engine: VerificationEngine;
  readonly audit: AuditWriter;
  readonly queue: JobQueue;
}

const startKey = (p: HaloVerifyPayload) => `halopsa:${p.instance}:${p.deliveryId}`;

/**
 * Turns a Halo button press into a verification. The ticket's end user is read from Halo (never
 * taken from the body) while the directory reads run, and the engine starts the tenant's PSA
 * method only for that person. When Halo cannot be reached the verification waits for it (its
 * status says so) and the job retries every few seconds, so the text goes out within seconds of
 * Halo's return. When it cannot start, a note on the ticket says why.
 */
export function haloVerifyJob(deps: Deps): JobKind {
  const failureNote = async (p: HaloVerifyPayload, reason: string, tenantId: string | null) => {
    const html = `<p><b>Verity could not start a verification</b></p><p>${escapeHtml(reason)}</p><p><small>Verity webhook delivery ${escapeHtml(p.deliveryId)}</small></p>`;
    const note: NotePayload = { system: p.instance, ticket: String(p.ticketId), html, marker: p.deliveryId, verificationId: null, tenantId };
    await deps.audit.transaction(async (trx, record) => {
      record({ actor: `halopsa:${p.instance}`, action: "integration.failed", tenantId, ticket: String(p.ticketId), outcome: "failed", reason, data: { delivery: p.deliveryId } });
      await deps.queue.enqueue(trx, NOTE_JOB, note, { dedupeKey: `note:webhook:${p.instance}:${p.deliveryId}` });
    });
    deps.queue.kick();
  };

  return {
    concurrency: 4,
    // The caller is on the phone: after three minutes a late SMS helps nobody.
    maxAgeMs: 3 * 60_000,
    baseDelayMs: 1000,
    // While Halo is away the press is retried at least every 4 s, so the text follows its return.
    maxDelayMs: 4000,
    async handle(raw, context) {
      const p = raw as HaloVerifyPayload;
      const client = deps.clients.get(p.instance);
      const system = deps.systems.get(p.instance);
      if (client === undefined || system === undefined) {
        throw new VerityError("TICKETING_ERROR", { message: `HaloPSA instance ${p.instance} is not configured.` });
      }
      const fail = (error: unknown, tenantId: string | null) => {
        if (isVerityError(error) && !error.retryable) return failureNote(p, error.message, tenantId);
        throw error;
      };
      // Halo's ticket → end user and the agent's name are read while the directory is (critical
      // path: max(Halo ticket → user, Entra user → methods), then the send).
      const contact = system.ticketContact(String(p.ticketId));
      contact.catch(() => undefined);
      const agent = agentName(client, p);
      let email = p.email;
      if (email === null) {
        let read: TicketContact;
        try {
          read = await contact;
        } catch (error) {
          if (isTicketingOutage(error) && context.attempt === 1) await noteWaiting(deps.audit, p);
          return fail(error, null);
        }
        if (read.email === null) return failureNote(p, "The ticket has no end user with an email address in HaloPSA.", null);
        email = read.email;
      }
      let tenant: TenantRuntime;
      try {
        tenant = deps.tenants.resolve(undefined, email);
      } catch (error) {
        return failureNote(p, error instanceof Error ? error.message : "No tenant matches the caller's email domain.", null);
      }
      if (tenant.ticketing?.systemName !== p.instance) {
        return failureNote(p, `${tenant.name} is not served through this HaloPSA instance.`, tenant.id);
      }
      const actor: Actor = { id: `halopsa:${p.instance}`, name: "HaloPSA", role: "admin", tenants: [tenant.id] };
      try {
        await deps.engine.start(
          actor,
          {
            tenant: tenant.id,
            user: email,
            method: tenant.ticketing.method,
            ticket: String(p.ticketId),
            reason: "HaloPSA Verify User",
            technician: (await agent) ?? "the service desk",
          },
          // A retry of this job (after a crash or an outage) finds the verification it made.
          { ticketContact: contact, waitForTicketing: true, idempotencyKey: startKey(p) },
        );
      } catch (error) {
        return fail(error, tenant.id);
      }
    },
    async onGiveUp(raw, error) {
      const p = raw as HaloVerifyPayload;
      const reason = `Verity kept failing to start it: ${error}`;
      await deps.engine.abandonWaiting(startKey(p), `HaloPSA did not confirm the ticket in time; nothing was sent. ${error}`);
      await failureNote(p, reason, null);
    },
  };
}

/** Said once when Halo is away before Verity even knows who the caller is. */
async function noteWaiting(audit: AuditWriter, p: HaloVerifyPayload): Promise<void> {
  await audit.append([
    {
      actor: `halopsa:${p.instance}`,
      action: "integration.waiting",
      ticket: String(p.ticketId),
      outcome: "waiting",
      reason: "HaloPSA cannot be reached to read the ticket's end user; the press is retried every few seconds.",
      data: { delivery: p.deliveryId },
    },
  ]);
}

async function agentName(client: HaloClient, p: HaloVerifyPayload): Promise<string | null> {
  if (p.agentId === null) return null;
  try {
    return (await client.getAgent(p.agentId))?.name ?? null;
  } catch {
    return null;
  }
}
