import type { Kysely } from "kysely";
import type { AuthFlowRow, Database, UserRow, WebSessionRow } from "./schema.js";

type Db = Kysely<Database>;

export async function insertSession(db: Db, row: WebSessionRow): Promise<void> {
  await db.insertInto("web_sessions").values(row).execute();
}

/** The live session with this hash and its user, if it has not ended or run out. */
export async function findLiveSession(db: Db, idHash: string, now: string): Promise<{ session: WebSessionRow; user: UserRow } | undefined> {
  const row = await db
    .selectFrom("web_sessions")
    .innerJoin("users", "users.id", "web_sessions.user_id")
    .selectAll("web_sessions")
    .select(["users.id as u_id"])
    .where("web_sessions.id_hash", "=", idHash)
    .where("web_sessions.ended_at", "is", null)
    .where("web_sessions.expires_at", ">", now)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const user = await db.selectFrom("users").selectAll().where("id", "=", row.u_id).executeTakeFirst();
  if (user === undefined) return undefined;
  const { u_id: _unused, ...session } = row;
  return { session, user };
}

export async function touchSession(db: Db, idHash: string, at: string): Promise<void> {
  await db.updateTable("web_sessions").set({ last_seen_at: at }).where("id_hash", "=", idHash).execute();
}

/** Ends one session, or every live session of a user; returns how many ended. */
export async function endSessions(db: Db, by: { idHash: string } | { userId: string }, at: string, reason: string): Promise<number> {
  let q = db.updateTable("web_sessions").set({ ended_at: at, end_reason: reason }).where("ended_at", "is", null);
  q = "idHash" in by ? q.where("id_hash", "=", by.idHash) : q.where("user_id", "=", by.userId);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertAuthFlow(db: Db, row: AuthFlowRow): Promise<void> {
  await db.insertInto("auth_flows").values(row).execute();
}

/** Takes a sign-in flow once: it is deleted as it is read, so a state cannot be used twice. */
export async function takeAuthFlow(db: Db, idHash: string, now: string): Promise<AuthFlowRow | undefined> {
  const row = await db.deleteFrom("auth_flows").where("id_hash", "=", idHash).returningAll().executeTakeFirst();
  return row !== undefined && row.expires_at > now ? row : undefined;
}

/** Deletes sign-in flows that ran out without a callback. */
export async function deleteExpiredAuthFlows(db: Db, now: string): Promise<void> {
  await db.deleteFrom("auth_flows").where("expires_at", "<=", now).execute();
}

export async function pruneAuthState(db: Db, now: string, sessionsEndedBefore: string): Promise<void> {
  await db.deleteFrom("auth_flows").where("expires_at", "<=", now).execute();
  await db.deleteFrom("web_sessions").where((eb) => eb.or([eb("expires_at", "<=", sessionsEndedBefore), eb("ended_at", "<=", sessionsEndedBefore)])).execute();
}
