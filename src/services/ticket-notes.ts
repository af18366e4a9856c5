import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { RESULT_NOTE_ACTIONS } from "../domain/audit-actions.js";
import { VerityError } from "../domain/errors.js";
import type { TicketingSystem } from "../domain/ports.js";
import { findVerification } from "../store/verification-dal.js";
import type { Database } from "../store/schema.js";
import type { AuditObserver, AuditWriter } from "./audit-service.js";
import type { JobKind, JobQueue } from "./job-queue.js";
import { fillLink, resultNote, sentNote } from "./note-content.js";
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
  /** The ticket was not confirmed as the caller's when the verification started: confirm it first. */
  readonly confirmTicket?: boolean;
}

/** Events after which the ticket learns that a check began. */
const SENT_ACTIONS = new Set(["message.sent", "message.delivery_unknown", "push.sent", "passcode.requested"]);
/** Events that end a verification (or report a failure to deliver). */
const RESULT_ACTIONS: ReadonlySet<string> = new Set(RESULT_NOTE_ACTIONS);

/**
 * Queues ticket notes in the same transaction as the events they report, so a note exists exactly
 * when its event does: a PSA outage delays notes, it never loses one, and it never delays a send.
 */
export function createTicketNotesObserver(deps: {
  tenants: Pick<TenantRegistry, "get">;
  queue: JobQueue;
  /** Whether notes link to the technician's page (a public URL is configured). */
  linkEnabled: boolean;
}): AuditObserver {
  return {
    async inTransaction(trx: Kysely<Database>, events: readonly ChainedAuditEvent[]) {
      for (const event of events) {
        const kind = SENT_ACTIONS.has(event.action) ? "sent" : RESULT_ACTIONS.has(event.action) ? "result" : null;
        if (kind === null || event.verificationId === null || event.ticket === null || event.tenantId === null) continue;
        const v = await findVerification(trx, event.verificationId);
        if (v === undefined || v.ticket === null) continue;
        // Only a ticket the ticketing system confirmed as the caller's gets notes; one it could not
        // confirm when the verification started is confirmed by the job before the first post.
        const system = v.ticketSystem;
        if (system === null) continue;
        const html = kind === "sent" ? sentNote(v, event, deps.linkEnabled) : await resultNote(v, event, trx);
        const payload: NotePayload = {
          system,
          ticket: v.ticket,
          ...(v.ticketConfirmedAt === null ? { confirmTicket: true } : {}),
          html,
          marker: event.id,
          verificationId: v.id,
          tenantId: v.tenantId,
        };
        await deps.queue.enqueue(trx, NOTE_JOB, payload, {
          dedupeKey: `note:${event.id}`,
          ordering: { key: `${system}:${v.ticket}`, seq: event.seq },
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
  /**
   * The page link with its capability, made when the note is posted: a queued note holds only a
   * placeholder, so the job table never stores a 24-hour capability.
   */
  link: (verificationId: string) => string | null;
  /** Confirms a verification's ticket with its system (confirmTicketLater); false: post nothing. */
  confirmTicket: (verificationId: string) => Promise<boolean>;
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
      if (note.confirmTicket === true && note.verificationId !== null && !(await deps.confirmTicket(note.verificationId))) return;
      if (context.attempt > 1 && (await system.hasNoteWith(note.ticket, note.marker).catch(() => null)) === true) return;
      const link = note.verificationId === null ? null : deps.link(note.verificationId);
      await system.addPrivateNote({ ticket: note.ticket, html: fillLink(note.html, link) });
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
