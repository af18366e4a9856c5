import type { Kysely, Updateable } from "kysely";
import type { RiskSnapshot, Verification, VerificationEvidence, VerificationState } from "../domain/verification.js";
import type { Database, VerificationRow } from "./schema.js";

type Db = Kysely<Database>;

export function toVerification(row: VerificationRow): Verification {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    subjectId: row.subject_id,
    subjectName: row.subject_name,
    method: row.method,
    state: row.state as VerificationState,
    stateReason: row.state_reason,
    technician: row.technician,
    createdBy: row.created_by,
    ticket: row.ticket,
    ticketSystem: row.ticket_system,
    ticketConfirmedAt: row.ticket_confirmed_at,
    reason: row.reason,
    codeHash: row.code_hash,
    codeLength: row.code_length,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    sends: row.sends,
    destinationMasked: row.destination_masked,
    destinationHash: row.destination_hash,
    providerRef: row.provider_ref,
    challenge: row.challenge,
    prompt: row.prompt === null ? null : (JSON.parse(row.prompt) as Verification["prompt"]),
    risk: JSON.parse(row.risk) as RiskSnapshot,
    evidence: row.evidence === null || row.evidence === undefined ? null : (JSON.parse(row.evidence) as VerificationEvidence),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    completedAt: row.completed_at,
    version: row.version,
  };
}

/** Inserts a new verification; `origin` makes the start unique (see `findVerificationByOrigin`). */
export async function insertVerification(db: Db, v: Verification, origin: string | null = null): Promise<void> {
  await db
    .insertInto("verifications")
    .values({
      id: v.id,
      tenant_id: v.tenantId,
      subject_id: v.subjectId,
      subject_name: v.subjectName,
      method: v.method,
      state: v.state,
      state_reason: v.stateReason,
      technician: v.technician,
      created_by: v.createdBy,
      ticket: v.ticket,
      ticket_system: v.ticketSystem,
      ticket_confirmed_at: v.ticketConfirmedAt,
      reason: v.reason,
      code_hash: v.codeHash,
      code_length: v.codeLength,
      attempts: v.attempts,
      max_attempts: v.maxAttempts,
      sends: v.sends,
      destination_masked: v.destinationMasked,
      destination_hash: v.destinationHash,
      provider_ref: v.providerRef,
      challenge: v.challenge,
      prompt: v.prompt === null ? null : JSON.stringify(v.prompt),
      risk: JSON.stringify(v.risk),
      evidence: v.evidence === null ? null : JSON.stringify(v.evidence),
      created_at: v.createdAt,
      updated_at: v.updatedAt,
      expires_at: v.expiresAt,
      completed_at: v.completedAt,
      version: v.version,
      origin,
    })
    .execute();
}

/** The verification an integration's start already made, if any. */
export async function findVerificationByOrigin(db: Db, origin: string): Promise<Verification | undefined> {
  const row = await db.selectFrom("verifications").selectAll().where("origin", "=", origin).executeTakeFirst();
  return row === undefined ? undefined : toVerification(row);
}

export async function findVerification(db: Db, id: string): Promise<Verification | undefined> {
  const row = await db.selectFrom("verifications").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? undefined : toVerification(row);
}

/** Conditions a conditional update must still meet when it runs. */
export interface UpdateGuard {
  readonly states: readonly VerificationState[];
  /** The code hash read before deciding; a resend in between makes the update miss. */
  readonly codeHash?: string;
  readonly attemptsBelowMax?: boolean;
  /** The update misses if the verification has expired by this time. */
  readonly notExpiredAt?: string;
  /** The update misses unless the verification has expired by this time. */
  readonly expiredBy?: string;
  /** The push transaction read before deciding; a resend in between makes the update miss. */
  readonly providerRef?: string;
  /** The reason the row must still carry (a verification waiting for the ticketing system). */
  readonly stateReason?: string;
}

export type VerificationPatch = Omit<Updateable<VerificationRow>, "id" | "version" | "attempts" | "sends"> & {
  readonly updated_at: string;
  readonly addAttempt?: boolean;
  readonly addSend?: boolean;
};

/**
 * The one way a verification changes: a single `UPDATE … WHERE <guard> RETURNING *`. Of two
 * racing updates with the same guard, exactly one gets the row; the other gets `undefined` and
 * must re-read to learn why.
 */
export async function updateVerificationIf(
  db: Db,
  id: string,
  guard: UpdateGuard,
  patch: VerificationPatch,
): Promise<Verification | undefined> {
  const { addAttempt, addSend, ...columns } = patch;
  let query = db
    .updateTable("verifications")
    .set((eb) => ({
      ...columns,
      version: eb("version", "+", 1),
      ...(addAttempt === true ? { attempts: eb("attempts", "+", 1) } : {}),
      ...(addSend === true ? { sends: eb("sends", "+", 1) } : {}),
    }))
    .where("id", "=", id)
    .where("state", "in", [...guard.states]);
  if (guard.codeHash !== undefined) query = query.where("code_hash", "=", guard.codeHash);
  if (guard.attemptsBelowMax === true) query = query.whereRef("attempts", "<", "max_attempts");
  if (guard.notExpiredAt !== undefined) query = query.where("expires_at", ">", guard.notExpiredAt);
  if (guard.providerRef !== undefined) query = query.where("provider_ref", "=", guard.providerRef);
  if (guard.stateReason !== undefined) query = query.where("state_reason", "=", guard.stateReason);
  if (guard.expiredBy !== undefined) query = query.where("expires_at", "<=", guard.expiredBy);
  const row = await query.returningAll().executeTakeFirst();
  return row === undefined ? undefined : toVerification(row);
}

/** Open verifications whose deadline has passed, oldest first. */
export async function listDueForExpiry(db: Db, now: string, limit: number): Promise<Verification[]> {
  const rows = await db
    .selectFrom("verifications")
    .selectAll()
    .where("state", "in", ["pending", "sent", "delivery_unknown"])
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .limit(limit)
    .execute();
  return rows.map(toVerification);
}

/** Push verifications still waiting for the caller: polling resumes on these after a restart. */
/** Pushes still waiting for an answer that nobody polls: no lease, or one that lapsed by `now`. */
export async function listWaitingPushes(db: Db, now: string): Promise<Verification[]> {
  const rows = await db
    .selectFrom("verifications")
    .selectAll()
    .where("state", "=", "sent")
    .where("method", "like", "%-push")
    .where("provider_ref", "is not", null)
    .where((eb) => eb.or([eb("poll_lease_until", "is", null), eb("poll_lease_until", "<=", now)]))
    .execute();
  return rows.map(toVerification);
}

/** Gives up every push-poll lease `owner` holds (a clean shutdown: the next instance need not wait). */
export async function releasePushPolls(db: Db, owner: string): Promise<void> {
  await db.updateTable("verifications").set({ poll_owner: null, poll_lease_until: null }).where("poll_owner", "=", owner).where("state", "=", "sent").execute();
}

/**
 * Takes or renews the lease on polling a waiting push: a guarded update that succeeds when the
 * lease is free, lapsed, or already `owner`'s. Of instances racing for it, one wins.
 */
export async function leasePushPoll(db: Db, input: { id: string; providerRef: string; owner: string; now: string; until: string }): Promise<boolean> {
  const row = await db
    .updateTable("verifications")
    .set({ poll_owner: input.owner, poll_lease_until: input.until })
    .where("id", "=", input.id)
    .where("state", "=", "sent")
    .where("provider_ref", "=", input.providerRef)
    .where((eb) => eb.or([eb("poll_lease_until", "is", null), eb("poll_lease_until", "<=", input.now), eb("poll_owner", "=", input.owner)]))
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/** The verification whose message or push the provider knows by this reference. */
export async function findVerificationByProviderRef(db: Db, providerRef: string): Promise<Verification | undefined> {
  const row = await db.selectFrom("verifications").selectAll().where("provider_ref", "=", providerRef).executeTakeFirst();
  return row === undefined ? undefined : toVerification(row);
}

/**
 * The newest verification of this caller on a ticket that this ticketing system confirmed as
 * theirs (for PSA actions that name only the ticket).
 */
export async function findLatestForTicket(
  db: Db,
  query: { tenantId: string; system: string; ticket: string; subjectId: string },
): Promise<Verification | undefined> {
  const row = await db
    .selectFrom("verifications")
    .selectAll()
    .where("ticket_system", "=", query.system)
    .where("ticket", "=", query.ticket)
    .where("tenant_id", "=", query.tenantId)
    .where("subject_id", "=", query.subjectId)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : toVerification(row);
}

/** How a caller's recent verifications ended: their state, reason and start, newest first. */
export async function listRecentForSubject(
  db: Db,
  query: { tenantId: string; subjectId: string; since: string },
): Promise<{ state: VerificationState; stateReason: string | null; createdAt: string }[]> {
  const rows = await db
    .selectFrom("verifications")
    .select(["state", "state_reason", "created_at"])
    .where("tenant_id", "=", query.tenantId)
    .where("subject_id", "=", query.subjectId)
    .where("created_at", ">", query.since)
    .orderBy("created_at", "desc")
    .limit(100)
    .execute();
  return rows.map((r) => ({ state: r.state as VerificationState, stateReason: r.state_reason, createdAt: r.created_at }));
}

/** Records that the verification's ticket system confirmed its ticket; false if it had already. */
export async function confirmTicket(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable("verifications")
    .set({ ticket_confirmed_at: at })
    .where("id", "=", id)
    .where("ticket_system", "is not", null)
    .where("ticket_confirmed_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
