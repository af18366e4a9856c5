import type { Kysely } from "kysely";
import type { Role } from "../domain/roles.js";
import type { Database, UserRow } from "./schema.js";

type Db = Kysely<Database>;

/** A web user as services see it: never the password hash or the TOTP secret. */
export interface WebUser {
  readonly id: string;
  readonly kind: "local" | "oidc";
  readonly username: string | null;
  readonly provider: string | null;
  readonly displayName: string;
  readonly email: string | null;
  readonly role: Role;
  readonly tenants: readonly string[] | null;
  readonly disabledAt: string | null;
  readonly createdAt: string;
  readonly lastSigninAt: string | null;
}

export const toWebUser = (row: UserRow): WebUser => ({
  id: row.id,
  kind: row.kind === "oidc" ? "oidc" : "local",
  username: row.username,
  provider: row.provider,
  displayName: row.display_name,
  email: row.email,
  role: row.role as Role,
  tenants: row.tenants === null ? null : (JSON.parse(row.tenants) as string[]),
  disabledAt: row.disabled_at,
  createdAt: row.created_at,
  lastSigninAt: row.last_signin_at,
});

export async function insertUser(db: Db, row: UserRow): Promise<void> {
  await db.insertInto("users").values(row).execute();
}

export async function findUserRow(db: Db, by: { id: string } | { username: string } | { provider: string; subject: string }): Promise<UserRow | undefined> {
  let q = db.selectFrom("users").selectAll();
  if ("id" in by) q = q.where("id", "=", by.id);
  else if ("username" in by) q = q.where("username", "=", by.username.toLowerCase());
  else q = q.where("provider", "=", by.provider).where("subject", "=", by.subject);
  return q.executeTakeFirst();
}

export async function listUsers(db: Db): Promise<WebUser[]> {
  const rows = await db.selectFrom("users").selectAll().orderBy("display_name").execute();
  return rows.map(toWebUser);
}

export async function updateUser(db: Db, id: string, patch: Partial<Omit<UserRow, "id" | "created_at">> & { updated_at: string }): Promise<boolean> {
  const result = await db.updateTable("users").set(patch).where("id", "=", id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Spends one sign-in attempt unless the account is locked, in one conditional UPDATE: parallel
 * guesses cannot all pass the lock check before any failure is counted. The attempt that makes
 * `max` in a row locks the account until `lockUntil`. Returns the attempts now spent in a row, or
 * null when the account is locked (nothing was spent).
 */
export async function spendSigninAttempt(db: Db, id: string, now: string, max: number, lockUntil: string): Promise<number | null> {
  const row = await db
    .updateTable("users")
    .set((eb) => ({
      failed_signins: eb("failed_signins", "+", 1),
      locked_until: eb.case().when("failed_signins", ">=", max - 1).then(eb.val<string | null>(lockUntil)).else(eb.ref("locked_until")).end(),
    }))
    .where("id", "=", id)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .returning("failed_signins")
    .executeTakeFirst();
  return row === undefined ? null : Number(row.failed_signins);
}

/**
 * Accepts a TOTP time step once: a conditional update that succeeds only when the step is newer
 * than the last one accepted, so a code read over someone's shoulder cannot be replayed.
 */
export async function acceptTotpStep(db: Db, id: string, step: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ totp_last_step: step, updated_at: at })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
