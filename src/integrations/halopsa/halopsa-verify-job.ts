import type { HaloClient } from "../../adapters/ticketing/halopsa/halopsa-client.js";
import { escapeHtml } from "../../domain/html.js";
import { isVerityError, VerityError } from "../../domain/errors.js";
import type { Actor } from "../../services/actor.js";
import type { AuditWriter } from "../../services/audit-service.js";
import type { JobKind, JobQueue } from "../../services/job-queue.js";
import { NOTE_JOB, type NotePayload } from "../../services/ticket-notes.js";
import type { TenantRegistry, TenantRuntime } from "../../services/tenant-registry.js";
import type { VerificationEngine } from "../../services/verification-engine.js";

export const HALO_VERIFY_JOB = "halopsa.verify";

/** One "Verify User" press, as queued by the webhook route. */
export interface HaloVerifyPayload {
  readonly instance: string;
  readonly deliveryId: string;
  readonly ticketId: number;
  /** The end user's email when Halo sent it (the runbook body), else looked up from the ticket. */
  readonly email: string | null;
  readonly agentId: number | null;
  readonly ticketUserId: number | null;
}

interface Deps {
  readonly clients: ReadonlyMap<string, HaloClient>;
  readonly tenants: TenantRegistry;
  readonly engine: VerificationEngine;
  readonly audit: AuditWriter;
  readonly queue: JobQueue;
}

/**
 * Turns a Halo button press into a verification: finds the caller's email (from the body, or
 * the ticket's end user) and the agent's name in parallel, picks the tenant by email domain (it
 * must be one this Halo instance serves), and starts the tenant's PSA method. The ticket notes
 * follow from the audit events. When it cannot start, a note on the ticket says why.
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
    baseDelayMs: 2000,
    maxDelayMs: 20_000,
    async handle(raw) {
      const p = raw as HaloVerifyPayload;
      const client = deps.clients.get(p.instance);
      if (client === undefined) throw new VerityError("TICKETING_ERROR", { message: `HaloPSA instance ${p.instance} is not configured.` });
      const fail = (error: unknown, tenantId: string | null) => {
        if (isVerityError(error) && !error.retryable) return failureNote(p, error.message, tenantId);
        throw error;
      };
      // The ticket check and the agent's name are read while the directory is (critical path:
      // max(Halo ticket → user, Entra user → methods), then the send).
      const ticketUser = resolveEmail(client, p);
      ticketUser.catch(() => undefined);
      const agent = agentName(client, p);
      let email: string;
      try {
        email = p.email ?? (await ticketUser);
      } catch (error) {
        return fail(error, null);
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
          // A retry of this job (after a crash) finds the verification it made and sends nothing.
          { gate: ticketUser, idempotencyKey: `halopsa:${p.instance}:${p.deliveryId}` },
        );
      } catch (error) {
        return fail(error, tenant.id);
      }
    },
    async onGiveUp(raw, error) {
      await failureNote(raw as HaloVerifyPayload, `Verity kept failing to start it: ${error}`, null);
    },
  };
}

/**
 * The ticket's end user's email, read from Halo even when the webhook body names one: the body
 * is protected only by the webhook password, so a code is sent only to the person the ticket
 * belongs to, never to whoever the body names.
 */
async function resolveEmail(client: HaloClient, p: HaloVerifyPayload): Promise<string> {
  const userId = p.ticketUserId ?? (await client.getTicket(p.ticketId)).userId;
  const user = userId === null ? null : await client.getUser(userId);
  if (user === null || user.email === null) {
    throw new VerityError("USER_NOT_FOUND", { message: "The ticket has no end user with an email address in HaloPSA." });
  }
  if (p.email !== null && p.email.trim().toLowerCase() !== user.email.toLowerCase()) {
    throw new VerityError("VALIDATION_FAILED", { message: "The email in the request is not the ticket's end user's; nothing was sent." });
  }
  return user.email;
}

async function agentName(client: HaloClient, p: HaloVerifyPayload): Promise<string | null> {
  if (p.agentId === null) return null;
  try {
    return (await client.getAgent(p.agentId))?.name ?? null;
  } catch {
    return null;
  }
}
