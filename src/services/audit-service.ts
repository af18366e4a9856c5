import type { Kysely } from "kysely";
import type { AuditRecord, ChainedAuditEvent } from "../domain/audit-chain.js";
import { createChainVerifier, type ChainProblem } from "../domain/audit-chain.js";
import type { Clock } from "../domain/ports.js";
import { appendAuditEvents, lockAuditHead, readAuditHead, streamAuditEvents } from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";

/**
 * An audit record as services write it; `at` defaults to the clock, unset fields to null.
 * `actorName` (who the actor is to a person: a token's name, an agent) is kept as `data.by`.
 */
export type AuditEntry = Partial<Omit<AuditRecord, "actor" | "action">> & Pick<AuditRecord, "actor" | "action"> & { readonly actorName?: string };

export type RecordAudit = (entry: AuditEntry) => void;

/**
 * Sees every batch of audit events: inside the transaction that appends them (to queue work that
 * must exist exactly when the events do, a transactional outbox) and after it commits.
 */
export interface AuditObserver {
  inTransaction(trx: Kysely<Database>, events: readonly ChainedAuditEvent[]): Promise<void>;
  afterCommit?(events: readonly ChainedAuditEvent[]): void;
}

export interface AuditWriter {
  /**
   * Runs `work` in one database transaction that holds the audit chain's lock from its first
   * statement, then appends what `work` recorded. State changes and their audit events commit
   * together or not at all.
   */
  transaction<T>(work: (trx: Kysely<Database>, record: RecordAudit) => Promise<T>): Promise<{ result: T; events: ChainedAuditEvent[] }>;
  append(entries: readonly AuditEntry[]): Promise<ChainedAuditEvent[]>;
}

export function createAuditWriter(deps: { db: Kysely<Database>; clock: Clock; observers?: readonly AuditObserver[] }): AuditWriter {
  const complete = (entry: AuditEntry): AuditRecord => ({
    at: entry.at ?? deps.clock.now().toISOString(),
    tenantId: entry.tenantId ?? null,
    actor: entry.actor,
    action: entry.action,
    subjectId: entry.subjectId ?? null,
    verificationId: entry.verificationId ?? null,
    ticket: entry.ticket ?? null,
    method: entry.method ?? null,
    destinationMasked: entry.destinationMasked ?? null,
    destinationHash: entry.destinationHash ?? null,
    outcome: entry.outcome ?? null,
    reason: entry.reason ?? null,
    data: entry.actorName === undefined ? (entry.data ?? null) : { ...entry.data, by: entry.actorName },
  });

  const transaction: AuditWriter["transaction"] = async (work) => {
    const outcome = await deps.db.transaction().execute(async (trx) => {
      const head = await lockAuditHead(trx);
      const pending: AuditRecord[] = [];
      const result = await work(trx, (entry) => pending.push(complete(entry)));
      const { events } = await appendAuditEvents(trx, head, pending);
      if (events.length > 0) for (const observer of deps.observers ?? []) await observer.inTransaction(trx, events);
      return { result, events };
    });
    if (outcome.events.length > 0) for (const observer of deps.observers ?? []) observer.afterCommit?.(outcome.events);
    return outcome;
  };

  return {
    transaction,
    async append(entries) {
      const { events } = await transaction((_trx, record) => {
        entries.forEach(record);
        return Promise.resolve();
      });
      return events;
    },
  };
}

export interface ChainReport {
  readonly ok: boolean;
  readonly count: number;
  readonly head: { readonly seq: number; readonly hash: string };
  readonly problem: ChainProblem | null;
}

/**
 * Walks the whole log in order and checks every link, then that the stored head agrees with the
 * last event (events cut from the end leave the head pointing past them). Truncation together
 * with a rewritten head is caught only by comparing with an anchor kept elsewhere (`expect`).
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  expect?: { seq: number; hash: string },
): Promise<ChainReport> {
  const verifier = createChainVerifier();
  let anchorSeen = false;
  for await (const event of streamAuditEvents(db)) {
    const problem = verifier.check(event);
    if (problem !== null) return { ok: false, count: verifier.count, head: verifier.head, problem };
    if (expect !== undefined && event.seq === expect.seq) {
      if (event.hash !== expect.hash) {
        const problem = { seq: event.seq, id: event.id, problem: "its hash differs from the anchor you gave" };
        return { ok: false, count: verifier.count, head: verifier.head, problem };
      }
      anchorSeen = true;
    }
  }
  const stored = await readAuditHead(db);
  const head = verifier.head;
  if (stored.seq !== head.seq || stored.hash !== head.hash) {
    const problem = {
      seq: Math.min(stored.seq, head.seq) + 1,
      id: null,
      problem:
        stored.seq > head.seq
          ? `the log ends at event ${head.seq} but its head records ${stored.seq} (events removed from the end)`
          : `the head records event ${stored.seq} but the log goes on to ${head.seq}`,
    };
    return { ok: false, count: verifier.count, head, problem };
  }
  if (expect !== undefined && !anchorSeen && expect.seq > 0) {
    const problem = { seq: expect.seq, id: null, problem: `the anchor's event ${expect.seq} is not in the log` };
    return { ok: false, count: verifier.count, head, problem };
  }
  return { ok: true, count: verifier.count, head, problem: null };
}
