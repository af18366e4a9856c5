import { randomUUID } from "node:crypto";
import { PostgresAdapter, sql, type Kysely } from "kysely";
import { canonicalJson, chainHash, type AuditRecord, type ChainedAuditEvent } from "../domain/audit-chain.js";
import type { AuditEventRow, AuditPendingRow, Database } from "./schema.js";

type Db = Kysely<Database>;

export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Takes the chain's write lock for the rest of the transaction: a no-op UPDATE of the single
 * head row. Every transaction that appends events takes it first, so appends from any number of
 * processes (SQLite) or instances (PostgreSQL) form one unbroken chain, and anything counted from
 * the log inside the same transaction cannot change under the counter.
 */
export async function lockAuditHead(trx: Db): Promise<AuditHead> {
  const head = await trx
    .updateTable("audit_head")
    .set((eb) => ({ seq: eb.ref("seq") }))
    .where("id", "=", 1)
    .returning(["seq", "hash"])
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

/** An audit record with the id it keeps when it is linked. */
export type IdentifiedAuditRecord = AuditRecord & { readonly id: string };

/** Appends records after `head` (taken by lockAuditHead in this transaction). */
export async function appendAuditEvents(
  trx: Db,
  head: AuditHead,
  records: readonly (AuditRecord | IdentifiedAuditRecord)[],
): Promise<{ head: AuditHead; events: ChainedAuditEvent[] }> {
  if (records.length === 0) return { head, events: [] };
  const events: ChainedAuditEvent[] = [];
  let prev = head;
  for (const record of records) {
    const base = { ...record, seq: prev.seq + 1, id: "id" in record ? record.id : randomUUID() };
    const hash = chainHash(prev.hash, base);
    events.push({ ...base, prevHash: prev.hash, hash });
    prev = { seq: base.seq, hash };
  }
  await trx.insertInto("audit_events").values(events.map(toRow)).execute();
  await trx.updateTable("audit_head").set({ seq: prev.seq, hash: prev.hash }).where("id", "=", 1).execute();
  return { head: prev, events };
}

/** Whether `db` is PostgreSQL, where transactions run side by side (SQLite runs one at a time). */
export const onPostgres = (db: Db): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * Serialises the transactions that name `key` from here until they end: a PostgreSQL advisory
 * transaction lock (re-entrant within a transaction). On SQLite it is a no-op: its writers run
 * one at a time, behind the chain's lock that every audit transaction takes first.
 */
export async function lockKey(trx: Db, key: string): Promise<void> {
  if (!onPostgres(trx)) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
}

/**
 * Writes records as pending events (PostgreSQL), each with the id it keeps in the chain, without
 * the chain's lock; linkPendingEvents links them once they are committed.
 */
export async function stageAuditEvents(trx: Db, records: readonly AuditRecord[]): Promise<string[]> {
  const rows = records.map((record) => ({ ...recordColumns(record), id: randomUUID() }));
  if (rows.length > 0) await trx.insertInto("audit_pending").values(rows).execute();
  return rows.map((r) => r.id);
}

/**
 * Links up to `limit` committed pending events after `head` (taken by lockAuditHead in this
 * transaction), oldest first, and removes them from the pending table.
 */
export async function linkPendingEvents(trx: Db, head: AuditHead, limit: number): Promise<{ head: AuditHead; events: ChainedAuditEvent[]; more: boolean }> {
  const rows = await trx.selectFrom("audit_pending").selectAll().orderBy("pid").limit(limit).execute();
  if (rows.length === 0) return { head, events: [], more: false };
  const linked = await appendAuditEvents(trx, head, rows.map(pendingRecord));
  await trx
    .deleteFrom("audit_pending")
    .where(
      "pid",
      "in",
      rows.map((r) => r.pid),
    )
    .execute();
  return { ...linked, more: rows.length === limit };
}

/** Events by id, in chain order (those already linked). */
export async function auditEventsByIds(db: Db, ids: readonly string[]): Promise<ChainedAuditEvent[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom("audit_events").selectAll().where("id", "in", [...ids]).orderBy("seq").execute();
  return rows.map(fromRow);
}

/** How many events wait to be linked (PostgreSQL; always 0 on SQLite). */
export async function countPendingEvents(db: Db): Promise<number> {
  const row = await db.selectFrom("audit_pending").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function readAuditHead(db: Db): Promise<AuditHead> {
  const head = await db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

export interface AuditQuery {
  readonly afterSeq?: number;
  readonly since?: string;
  readonly tenantId?: string;
  readonly verificationId?: string;
  readonly limit: number;
}

/** A page of events in chain order. */
export async function listAuditEvents(db: Db, query: AuditQuery): Promise<ChainedAuditEvent[]> {
  let q = db.selectFrom("audit_events").selectAll().orderBy("seq").limit(query.limit);
  if (query.afterSeq !== undefined) q = q.where("seq", ">", query.afterSeq);
  if (query.since !== undefined) q = q.where("at", ">=", query.since);
  if (query.tenantId !== undefined) q = q.where("tenant_id", "=", query.tenantId);
  if (query.verificationId !== undefined) q = q.where("verification_id", "=", query.verificationId);
  const rows = await q.execute();
  return rows.map(fromRow);
}

/** Every event in chain order, read a page at a time so memory stays flat on a large log. */
export async function* streamAuditEvents(
  db: Db,
  filter: Omit<AuditQuery, "limit" | "afterSeq"> = {},
  pageSize = 500,
): AsyncGenerator<ChainedAuditEvent> {
  let afterSeq = 0;
  for (;;) {
    const page = await listAuditEvents(db, { ...filter, afterSeq, limit: pageSize });
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    afterSeq = last.seq;
  }
}

/** The hash of event `seq`, or undefined when there is no such event. */
export async function auditEventHash(db: Db, seq: number): Promise<string | undefined> {
  const row = await db.selectFrom("audit_events").select("hash").where("seq", "=", seq).executeTakeFirst();
  return row?.hash;
}

/** The earliest of a verification's events with one of `actions` (indexed by verification id). */
export async function firstVerificationEvent(
  db: Db,
  verificationId: string,
  actions: readonly string[],
): Promise<{ seq: number; hash: string; id: string; action: string } | undefined> {
  const row = await db
    .selectFrom("audit_events")
    .select(["seq", "hash", "id", "action"])
    .where("verification_id", "=", verificationId)
    .where("action", "in", [...actions])
    .orderBy("seq")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash, id: row.id, action: row.action };
}

/** firstVerificationEvent for many verifications in one query (a page of history). */
export async function firstVerificationEvents(
  db: Db,
  verificationIds: readonly string[],
  actions: readonly string[],
): Promise<Map<string, { seq: number; hash: string; id: string; action: string }>> {
  const found = new Map<string, { seq: number; hash: string; id: string; action: string }>();
  if (verificationIds.length === 0) return found;
  const rows = await db
    .selectFrom("audit_events")
    .select(["verification_id", "seq", "hash", "id", "action"])
    .where("verification_id", "in", [...verificationIds])
    .where("action", "in", [...actions])
    .orderBy("seq")
    .execute();
  for (const row of rows) {
    if (row.verification_id !== null && !found.has(row.verification_id)) found.set(row.verification_id, { seq: Number(row.seq), hash: row.hash, id: row.id, action: row.action });
  }
  return found;
}

/**
 * The subject's events of these kinds since `since` (when, what, by which method): the input of
 * rate limits. On PostgreSQL, events committed but not linked yet count too.
 */
export async function subjectEvents(
  db: Db,
  query: { tenantId: string; subjectId: string; actions: readonly string[]; methods?: readonly string[]; since: string },
): Promise<{ at: Date; action: string; method: string | null }[]> {
  // audit_pending has every column these filters read; the cast names it as audit_events for Kysely.
  const from = (table: "audit_events" | "audit_pending") => {
    let q = db
      .selectFrom(table as "audit_events")
      .select(["at", "action", "method"])
      .where("subject_id", "=", query.subjectId)
      .where("tenant_id", "=", query.tenantId)
      .where("action", "in", [...query.actions])
      .where("at", ">", query.since);
    if (query.methods !== undefined) q = q.where("method", "in", query.methods.length > 0 ? [...query.methods] : [""]);
    return q;
  };
  const rows = onPostgres(db) ? await from("audit_events").unionAll(from("audit_pending")).execute() : await from("audit_events").execute();
  return rows.map((r) => ({ at: new Date(r.at), action: r.action, method: r.method }));
}

/** When the subject's events of these kinds happened since `since` (see subjectEvents). */
export async function subjectEventTimes(
  db: Db,
  query: { tenantId: string; subjectId: string; actions: readonly string[]; methods?: readonly string[]; since: string },
): Promise<Date[]> {
  return (await subjectEvents(db, query)).map((e) => e.at);
}

function recordColumns(e: AuditRecord): Omit<AuditPendingRow, "pid" | "id"> {
  return {
    at: e.at,
    tenant_id: e.tenantId,
    actor: e.actor,
    action: e.action,
    subject_id: e.subjectId,
    verification_id: e.verificationId,
    ticket: e.ticket,
    method: e.method,
    destination_masked: e.destinationMasked,
    destination_hash: e.destinationHash,
    outcome: e.outcome,
    reason: e.reason,
    data: e.data === null ? null : canonicalJson(e.data),
  };
}

function pendingRecord(r: Omit<AuditPendingRow, "pid">): IdentifiedAuditRecord {
  return {
    id: r.id,
    at: r.at,
    tenantId: r.tenant_id,
    actor: r.actor,
    action: r.action,
    subjectId: r.subject_id,
    verificationId: r.verification_id,
    ticket: r.ticket,
    method: r.method,
    destinationMasked: r.destination_masked,
    destinationHash: r.destination_hash,
    outcome: r.outcome,
    reason: r.reason,
    data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
  };
}

function toRow(e: ChainedAuditEvent): AuditEventRow {
  return { ...recordColumns(e), seq: e.seq, id: e.id, prev_hash: e.prevHash, hash: e.hash };
}

function fromRow(r: AuditEventRow): ChainedAuditEvent {
  return { ...pendingRecord(r), seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash };
}
