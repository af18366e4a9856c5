import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

type Db = Kysely<Database>;

/** Which of these destinations are disabled. */
export async function disabledDestinations(db: Db, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.selectFrom("notification_disabled").select("destination_key").where("destination_key", "in", [...keys]).execute();
  return new Set(rows.map((r) => r.destination_key));
}

/** Disables a destination; false when it already was (so it is audited once). */
export async function disableDestination(db: Db, row: { key: string; label: string; reason: string; now: string }): Promise<boolean> {
  const result = await db
    .insertInto("notification_disabled")
    .values({ destination_key: row.key, label: row.label, reason: row.reason, disabled_at: row.now })
    .onConflict((oc) => oc.column("destination_key").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** When and why a destination was disabled, or undefined when it is not. */
export async function findDisabledDestination(db: Db, key: string): Promise<{ reason: string; disabledAt: string } | undefined> {
  const row = await db.selectFrom("notification_disabled").select(["reason", "disabled_at"]).where("destination_key", "=", key).executeTakeFirst();
  return row === undefined ? undefined : { reason: row.reason, disabledAt: row.disabled_at };
}

/** Enables a disabled destination again; false when it was not disabled. */
export async function enableDestination(db: Db, key: string): Promise<boolean> {
  const result = await db.deleteFrom("notification_disabled").where("destination_key", "=", key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
