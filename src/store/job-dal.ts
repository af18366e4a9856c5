import type { Kysely } from "kysely";
import type { Database, JobRow } from "./schema.js";

type Db = Kysely<Database>;

export interface NewJob {
  readonly id: string;
  readonly kind: string;
  readonly dedupeKey: string | null;
  readonly ordering: { readonly key: string; readonly seq: number } | null;
  readonly payload: unknown;
  readonly nextAttemptAt: string;
  readonly now: string;
}

/** Adds a job; a job with the same dedupe key already present makes this a no-op (false). */
export async function insertJob(db: Db, job: NewJob): Promise<boolean> {
  const result = await db
    .insertInto("jobs")
    .values({
      id: job.id,
      kind: job.kind,
      dedupe_key: job.dedupeKey,
      ordering_key: job.ordering?.key ?? null,
      ordering_seq: job.ordering?.seq ?? null,
      payload: JSON.stringify(job.payload),
      state: "pending",
      attempts: 0,
      next_attempt_at: job.nextAttemptAt,
      locked_until: null,
      last_error: null,
      created_at: job.now,
      updated_at: job.now,
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Claims the oldest due job of these kinds for `lockMs`: a guarded update, so of several workers
 * (in one process or many) exactly one gets each job. A worker that dies leaves its lock to
 * expire, and the job runs again. A job waits while an earlier job with its ordering key is
 * still pending, so notes on one ticket appear in the order of their events.
 */
export async function claimDueJob(db: Db, kinds: readonly string[], now: string, lockedUntil: string): Promise<JobRow | undefined> {
  for (let tries = 0; tries < 3; tries += 1) {
    const candidate = await db
      .selectFrom("jobs")
      .select("id")
      .where("state", "=", "pending")
      .where("kind", "in", [...kinds])
      .where("next_attempt_at", "<=", now)
      .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
      .where((eb) =>
        eb.or([
          eb("ordering_key", "is", null),
          eb.not(
            eb.exists(
              eb
                .selectFrom("jobs as earlier")
                .select("earlier.id")
                .whereRef("earlier.ordering_key", "=", "jobs.ordering_key")
                .where("earlier.state", "=", "pending")
                .whereRef("earlier.ordering_seq", "<", "jobs.ordering_seq"),
            ),
          ),
        ]),
      )
      .orderBy("next_attempt_at")
      .limit(1)
      .executeTakeFirst();
    if (candidate === undefined) return undefined;
    const claimed = await db
      .updateTable("jobs")
      .set((eb) => ({ locked_until: lockedUntil, attempts: eb("attempts", "+", 1), updated_at: now }))
      .where("id", "=", candidate.id)
      .where("state", "=", "pending")
      .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
      .returningAll()
      .executeTakeFirst();
    if (claimed !== undefined) return claimed;
  }
  return undefined;
}

/** Extends a running job's claim (its instance is alive). */
export async function renewJobLock(db: Db, id: string, lockedUntil: string): Promise<void> {
  await db.updateTable("jobs").set({ locked_until: lockedUntil }).where("id", "=", id).where("state", "=", "pending").execute();
}

export async function finishJob(db: Db, id: string, state: "done" | "dead", now: string, error: string | null): Promise<void> {
  await db.updateTable("jobs").set({ state, locked_until: null, last_error: error, updated_at: now }).where("id", "=", id).execute();
}

export async function rescheduleJob(db: Db, id: string, nextAttemptAt: string, now: string, error: string): Promise<void> {
  await db
    .updateTable("jobs")
    .set({ next_attempt_at: nextAttemptAt, locked_until: null, last_error: error, updated_at: now })
    .where("id", "=", id)
    .execute();
}

export async function countJobs(db: Db, state: string, kind?: string): Promise<number> {
  let q = db.selectFrom("jobs").select((eb) => eb.fn.countAll<number>().as("n")).where("state", "=", state);
  if (kind !== undefined) q = q.where("kind", "=", kind);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}
