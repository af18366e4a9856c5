import { setTimeout as sleep } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { AuditRecord, ChainedAuditEvent } from "../domain/audit-chain.js";
import { createChainVerifier, GENESIS_HASH, type ChainProblem } from "../domain/audit-chain.js";
import type { Clock } from "../domain/ports.js";
import {
  appendAuditEvents,
  auditEventsByIds,
  countPendingEvents,
  linkPendingEvents,
  lockAuditHead,
  onPostgres,
  readAuditHead,
  stageAuditEvents,
  streamAuditEvents,
} from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";

/**
 * An audit record as services write it; `at` defaults to the clock, unset fields to null.
 * `actorName` (who the actor is to a person: a token's name, an agent) is kept as `data.by`.
 */
export type AuditEntry = Partial<Omit<AuditRecord, "actor" | "action">> & Pick<AuditRecord, "actor" | "action"> & { readonly actorName?: string };

export type RecordAudit = (entry: AuditEntry) => void;

/**
 * Sees every batch of audit events: inside the transaction that links them into the chain (to
 * queue work that must exist exactly when the events do, a transactional outbox) and after it
 * commits. On SQLite that is the transaction that wrote them; on PostgreSQL the linker's, an
 * instant after theirs committed, on whichever instance linked them.
 */
export interface AuditObserver {
  inTransaction(trx: Kysely<Database>, events: readonly ChainedAuditEvent[]): Promise<void>;
  afterCommit?(events: readonly ChainedAuditEvent[]): void;
}

export interface AuditWriter {
  /**
   * Runs `work` in one database transaction and records what it audited: state changes and their
   * audit events commit together or not at all, and resolve once the events are in the chain.
   * - SQLite: the transaction holds the chain's lock from its first statement (SQLite runs one
   *   writer at a time anyway) and links its events itself.
   * - PostgreSQL: the transaction writes its events as pending, without the chain's lock, so
   *   transactions run side by side; right after the commit a linker links every pending event in
   *   one short locked transaction (group commit). Counts that must not change under a counter
   *   take their own lock (`lockKey`), per caller or per cap.
   */
  transaction<T>(work: (trx: Kysely<Database>, record: RecordAudit) => Promise<T>): Promise<{ result: T; events: ChainedAuditEvent[] }>;
  append(entries: readonly AuditEntry[]): Promise<ChainedAuditEvent[]>;
  /**
   * Links whatever is pending (PostgreSQL: events an instance committed and could not link before
   * it stopped). Called at start and by the periodic sweep; resolves with how many it linked.
   */
  linkPending(): Promise<number>;
}

/** Events linked per linker transaction at most; more are linked in further transactions. */
const LINK_BATCH = 500;
/** Waits before linking again after a failure (a lost connection, a deadlock victim). */
const LINK_RETRIES_MS = [50, 250];

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
  const observers = deps.observers ?? [];
  const inTransaction = async (trx: Kysely<Database>, events: readonly ChainedAuditEvent[]) => {
    if (events.length > 0) for (const observer of observers) await observer.inTransaction(trx, events);
  };
  const afterCommit = (events: readonly ChainedAuditEvent[]) => {
    if (events.length > 0) for (const observer of observers) observer.afterCommit?.(events);
  };

  const linkedTogether: AuditWriter["transaction"] = async (work) => {
    const outcome = await deps.db.transaction().execute(async (trx) => {
      const head = await lockAuditHead(trx);
      const pending: AuditRecord[] = [];
      const result = await work(trx, (entry) => pending.push(complete(entry)));
      const { events } = await appendAuditEvents(trx, head, pending);
      await inTransaction(trx, events);
      return { result, events };
    });
    afterCommit(outcome.events);
    return outcome;
  };

  const linker = createLinker(deps.db, inTransaction, afterCommit);
  const linkedAfter: AuditWriter["transaction"] = async (work) => {
    const { result, ids } = await deps.db.transaction().execute(async (trx) => {
      const pending: AuditRecord[] = [];
      const result = await work(trx, (entry) => pending.push(complete(entry)));
      return { result, ids: await stageAuditEvents(trx, pending) };
    });
    return { result, events: ids.length === 0 ? [] : await linker.linked(ids) };
  };

  const transaction = onPostgres(deps.db) ? linkedAfter : linkedTogether;
  return {
    transaction,
    async append(entries) {
      const { events } = await transaction((_trx, record) => {
        entries.forEach(record);
        return Promise.resolve();
      });
      return events;
    },
    linkPending: () => (onPostgres(deps.db) ? linker.linkAll() : Promise.resolve(0)),
  };
}

/**
 * Group commit for PostgreSQL: one linking transaction at a time per process; every caller that
 * committed while one ran is served by the next, which links all that is pending, from any
 * instance. Events another instance linked first are read back from the log.
 */
function createLinker(
  db: Kysely<Database>,
  inTransaction: (trx: Kysely<Database>, events: readonly ChainedAuditEvent[]) => Promise<void>,
  afterCommit: (events: readonly ChainedAuditEvent[]) => void,
) {
  interface Waiter {
    readonly ids: readonly string[];
    resolve(events: ChainedAuditEvent[]): void;
    reject(error: unknown): void;
  }
  let waiting: Waiter[] = [];
  let running: Promise<void> | null = null;

  /** One linking transaction: at most LINK_BATCH events. */
  const linkBatch = async (): Promise<{ events: ChainedAuditEvent[]; more: boolean }> => {
    const linked = await db.transaction().execute(async (trx) => {
      const head = await lockAuditHead(trx);
      const batch = await linkPendingEvents(trx, head, LINK_BATCH);
      await inTransaction(trx, batch.events);
      return batch;
    });
    afterCommit(linked.events);
    return linked;
  };

  /** Links until nothing is pending, then answers the callers who were waiting when it began. */
  const round = async (): Promise<number> => {
    const served = waiting;
    waiting = [];
    const byId = new Map<string, ChainedAuditEvent>();
    let count = 0;
    // A failed link leaves the events pending (committed, never lost): try again shortly, then
    // fail the callers; the periodic sweep links them later.
    for (let attempt = 0; ; attempt += 1) {
      try {
        for (;;) {
          const { events, more } = await linkBatch();
          count += events.length;
          for (const e of events) byId.set(e.id, e);
          if (!more) break;
        }
        const elsewhere = served.flatMap((w) => w.ids.filter((id) => !byId.has(id)));
        for (const e of await auditEventsByIds(db, elsewhere)) byId.set(e.id, e);
        break;
      } catch (error) {
        if (attempt < LINK_RETRIES_MS.length) {
          await sleep(LINK_RETRIES_MS[attempt]);
          continue;
        }
        for (const w of served) w.reject(error);
        return count;
      }
    }
    for (const w of served) {
      const events = w.ids.map((id) => byId.get(id));
      if (events.every((e) => e !== undefined)) w.resolve(events.sort((a, b) => a.seq - b.seq));
      else w.reject(new Error("An audit event committed but was not found in the chain."));
    }
    return count;
  };

  const drain = (): void => {
    if (running !== null) return;
    running = (async () => {
      while (waiting.length > 0) await round();
    })().finally(() => {
      running = null;
      if (waiting.length > 0) drain();
    });
  };

  return {
    linked(ids: readonly string[]): Promise<ChainedAuditEvent[]> {
      const done = new Promise<ChainedAuditEvent[]>((resolve, reject) => waiting.push({ ids, resolve, reject }));
      drain();
      return done;
    },
    /** Waits for a round already running, then links what is left (nothing: one cheap read). */
    async linkAll(): Promise<number> {
      const before = running;
      if (before !== null) await before.catch(() => undefined);
      if (waiting.length === 0 && (await countPendingEvents(db)) === 0) return 0;
      return round();
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
 * How the chain compares with an anchor: event `seq` has the anchor's hash (`matches`), another
 * hash (`differs`), is not in the log (`missing`), or the chain broke before it (`unchecked`).
 */
export type AnchorVerdict = "matches" | "differs" | "missing" | "unchecked";

export interface AnchorPoint {
  readonly seq: number;
  readonly hash: string;
}

/** The anchor that decided the check: the first one the chain fails, else the newest. */
export type AnchorOutcome = AnchorPoint & { readonly verdict: AnchorVerdict };

/**
 * Walks the whole log in order and checks every link, then that the stored head agrees with the
 * last event (events cut from the end leave the head pointing past them). Anyone who can write
 * the database can still recompute every hash and the head; only anchors kept elsewhere
 * (`expect`) catch that, and a log cut short with its head rewritten. Every anchor given is
 * checked, not only the newest: a server that anchored a rewritten chain afterwards has also
 * written a newest anchor that matches it, but the older ones still do not.
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  expect?: AnchorPoint | readonly AnchorPoint[],
): Promise<ChainReport & { readonly anchor: AnchorOutcome | null }> {
  const anchors = expect === undefined ? [] : "seq" in expect ? [expect] : [...expect];
  const bySeq = new Map<number, Set<string>>();
  for (const a of anchors) bySeq.set(a.seq, (bySeq.get(a.seq) ?? new Set()).add(a.hash));
  const newest = anchors.reduce<AnchorPoint | null>((n, a) => (n === null || a.seq > n.seq ? a : n), null);
  const verifier = createChainVerifier();
  let decided: AnchorOutcome | null = null;
  const outcome = () => decided ?? (newest === null ? null : { ...newest, verdict: "unchecked" as const });
  const broken = (problem: ChainProblem) => ({ ok: false, count: verifier.count, head: verifier.head, problem, anchor: outcome() });
  const differs = (seq: number, hashes: Set<string> | undefined, actual: string) => {
    for (const hash of hashes ?? []) if (hash !== actual) return { seq, hash, verdict: "differs" as const };
    return null;
  };

  decided = differs(0, bySeq.get(0), GENESIS_HASH);
  if (decided !== null) return broken({ seq: 0, id: null, problem: "the anchor's hash for event 0 is not the chain's start" });
  for await (const event of streamAuditEvents(db)) {
    const problem = verifier.check(event);
    if (problem !== null) return broken(problem);
    decided = differs(event.seq, bySeq.get(event.seq), event.hash);
    if (decided !== null) return broken({ seq: event.seq, id: event.id, problem: "its hash differs from the anchor" });
  }
  const stored = await readAuditHead(db);
  const head = verifier.head;
  if (stored.seq !== head.seq || stored.hash !== head.hash) {
    return broken({
      seq: Math.min(stored.seq, head.seq) + 1,
      id: null,
      problem:
        stored.seq > head.seq
          ? `the log ends at event ${head.seq} but its head records ${stored.seq} (events removed from the end)`
          : `the head records event ${stored.seq} but the log goes on to ${head.seq}`,
    });
  }
  const beyond = anchors.filter((a) => a.seq > head.seq).sort((a, b) => a.seq - b.seq)[0];
  if (beyond !== undefined) {
    decided = { ...beyond, verdict: "missing" };
    return broken({ seq: beyond.seq, id: null, problem: `the anchor's event ${beyond.seq} is not in the log (events removed from the end and the head rewritten)` });
  }
  return { ok: true, count: verifier.count, head, problem: null, anchor: newest === null ? null : { ...newest, verdict: "matches" } };
}
