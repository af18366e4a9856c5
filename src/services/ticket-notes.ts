import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { VerityError } from "../domain/errors.js";
import type { TicketingSystem } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";
import { findVerification } from "../store/verification-dal.js";
import type { Database } from "../store/schema.js";
import type { AuditObserver, AuditWriter } from "./audit-service.js";
import type { JobKind, JobQueue } from "./job-queue.js";
import { resultNote, sentNote } from "./note-content.js";
import type { TenantRegistry } from "./tenant-registry.js";

export const NOTE_JOB = "ticket.note";

export interface NotePayload {
  readonly system: string;
  readonly ticket: string;
  readonly html: string;
  /** The audit event the note reports; also its dedupe key and the text that finds it again. */
  readonly marker: string;
  readonly verificationId: string | null;
  readonly tenantId: string | null;
}

/** Events after which the ticket learns that a check began. */
const SENT_ACTIONS = new Set(["message.sent", "message.delivery_unknown", "push.sent", "passcode.requested"]);
/** Events that end a verification (or report a failure to deliver). */
const RESULT_ACTIONS = new Set([
  "check.accepted",
  "check.confirmed",
  "verification.rejected",
  "push.approved",
  "push.denied",
  "push.fraud_reported",
  "push.timed_out",
  "push.failed",
  "verification.expired",
  "verification.cancelled",
  "message.send_failed",
  "push.send_failed",
  "message.status_failed",
]);

/**
 * Queues ticket notes in the same transaction as the events they report, so a note exists exactly
 * when its event does: a PSA outage delays notes, it never loses one, and it never delays a send.
 */
export function createTicketNotesObserver(deps: {
  tenants: TenantRegistry;
  queue: JobQueue;
  /** The technician's page for a verification, or null when no public URL is configured. */
  link: (v: Verification) => string | null;
}): AuditObserver {
  return {
    async inTransaction(trx: Kysely<Database>, events: readonly ChainedAuditEvent[]) {
      for (const event of events) {
        const kind = SENT_ACTIONS.has(event.action) ? "sent" : RESULT_ACTIONS.has(event.action) ? "result" : null;
        if (kind === null || event.verificationId === null || event.ticket === null || event.tenantId === null) continue;
        const ticketing = deps.tenants.get(event.tenantId)?.ticketing;
        if (ticketing === undefined) continue;
        const v = await findVerification(trx, event.verificationId);
        if (v === undefined) continue;
        const html = kind === "sent" ? sentNote(v, event, deps.link(v)) : resultNote(v, event);
        const payload: NotePayload = {
          system: ticketing.systemName,
          ticket: event.ticket,
          html,
          marker: event.id,
          verificationId: v.id,
          tenantId: v.tenantId,
        };
        await deps.queue.enqueue(trx, NOTE_JOB, payload, {
          dedupeKey: `note:${event.id}`,
          ordering: { key: `${ticketing.systemName}:${event.ticket}`, seq: event.seq },
        });
      }
    },
    afterCommit() {
      deps.queue.kick();
    },
  };
}

/**
 * Posts one queued note. After an attempt that may have created the note, it first asks the PSA
 * whether a note with the event's marker exists, so retries do not post it twice.
 */
export function ticketNoteJob(deps: {
  systems: ReadonlyMap<string, TicketingSystem>;
  audit: AuditWriter;
  log: Pick<Logger, "warn">;
}): JobKind {
  return {
    concurrency: 2,
    maxAgeMs: 48 * 3600_000,
    baseDelayMs: 5000,
    maxDelayMs: 15 * 60_000,
    alertAfterMs: 5 * 60_000,
    async handle(raw, context) {
      const note = raw as NotePayload;
      const system = deps.systems.get(note.system);
      if (system === undefined) throw new VerityError("TICKETING_ERROR", { message: `Ticketing system ${note.system} is not configured.` });
      if (context.attempt > 1 && (await system.hasNoteWith(note.ticket, note.marker).catch(() => null)) === true) return;
      await system.addPrivateNote({ ticket: note.ticket, html: note.html });
    },
    async onGiveUp(raw, error) {
      const note = raw as NotePayload;
      await deps.audit.append([
        {
          actor: "system",
          action: "note.failed",
          tenantId: note.tenantId,
          verificationId: note.verificationId,
          ticket: note.ticket,
          outcome: "failed",
          reason: error,
          data: { system: note.system, event: note.marker },
        },
      ]);
    },
  };
}
