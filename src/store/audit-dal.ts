import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { canonicalJson, chainHash, type AuditRecord, type ChainedAuditEvent } from "../domain/audit-chain.js";
import type { AuditEventRow, Database } from "./schema.js";

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

/** Appends records after `head` (taken by lockAuditHead in this transaction). */
export async function appendAuditEvents(
  trx: Db,
  head: AuditHead,
  records: readonly AuditRecord[],
): Promise<{ head: AuditHead; events: ChainedAuditEvent[] }> {
  if (records.length === 0) return { head, events: [] };
  const events: ChainedAuditEvent[] = [];
  let prev = head;
  for (const record of records) {
    const base = { ...record, seq: prev.seq + 1, id: randomUUID() };
    const hash = chainHash(prev.hash, base);
    events.push({ ...base, prevHash: prev.hash, hash });
    prev = { seq: base.seq, hash };
  }
  await trx.insertInto("audit_events").values(events.map(toRow)).execute();
  await trx.updateTable("audit_head").set({ seq: prev.seq, hash: prev.hash }).where("id", "=", 1).execute();
  return { head: prev, events };
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

/** When the subject's events of these kinds happened since `since`: the input of rate limits. */
export async function subjectEventTimes(
  db: Db,
  query: { tenantId: string; subjectId: string; actions: readonly string[]; methods?: readonly string[]; since: string },
): Promise<Date[]> {
  let q = db
    .selectFrom("audit_events")
    .select("at")
    .where("subject_id", "=", query.subjectId)
    .where("tenant_id", "=", query.tenantId)
    .where("action", "in", [...query.actions])
    .where("at", ">", query.since);
  if (query.methods !== undefined) q = q.where("method", "in", query.methods.length > 0 ? [...query.methods] : [""]);
  const rows = await q.execute();
  return rows.map((r) => new Date(r.at));
}

function toRow(e: ChainedAuditEvent): AuditEventRow {
  return {
    seq: e.seq,
    id: e.id,
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
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

function fromRow(r: AuditEventRow): ChainedAuditEvent {
  return {
    seq: Number(r.seq),
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
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
