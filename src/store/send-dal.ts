import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { onPostgres } from "./audit-dal.js";
import type { Database, SendLogRow } from "./schema.js";

type Db = Kysely<Database>;

/** What a send cap counts by: one column of the send log. */
export type SendScope =
  | { readonly by: "technician"; readonly value: string }
  | { readonly by: "tenant_id"; readonly value: string }
  | { readonly by: "country"; readonly value: string }
  | { readonly by: "prefix"; readonly value: string };

export async function recordSend(db: Db, send: Omit<SendLogRow, "id">): Promise<void> {
  await db.insertInto("send_log").values({ id: randomUUID(), ...send }).execute();
}

/**
 * How many sends in `scope` happened after `since`, and, when there are at least `max`, the time
 * of the `max`-th newest (which must leave the window before another send is allowed).
 */
export async function sendWindow(db: Db, scope: SendScope, since: string, max: number): Promise<{ count: number; nthNewest: Date | undefined }> {
  const row = await db
    .selectFrom("send_log")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where(scope.by, "=", scope.value)
    .where("at", ">", since)
    .executeTakeFirstOrThrow();
  const count = Number(row.n);
  if (count < max) return { count, nthNewest: undefined };
  const nth = await db
    .selectFrom("send_log")
    .select("at")
    .where(scope.by, "=", scope.value)
    .where("at", ">", since)
    .orderBy("at", "desc")
    .offset(max - 1)
    .limit(1)
    .executeTakeFirst();
  return { count, nthNewest: nth === undefined ? undefined : new Date(nth.at) };
}

/**
 * How many sends each scope had after its `since`, in one query (the caps a send must pass, read
 * together), and on PostgreSQL `connections`: how many connections the server allows, the most
 * transactions that can be spending the same cap at once (read in the same round trip).
 */
export async function sendCounts(db: Db, scopes: readonly { readonly scope: SendScope; readonly since: string }[]): Promise<{ counts: number[]; connections?: number }> {
  if (scopes.length === 0) return { counts: [] };
  const postgres = onPostgres(db);
  const earliest = scopes.reduce((min, s) => (s.since < min ? s.since : min), scopes[0]?.since ?? "");
  const row = (await db
    .selectFrom("send_log")
    .select([
      ...scopes.map(({ scope, since }, i) => sql<number | string | null>`sum(case when ${sql.ref(scope.by)} = ${scope.value} and ${sql.ref("at")} > ${since} then 1 else 0 end)`.as(`c${i}`)),
      (postgres ? sql<string | null>`current_setting('max_connections')` : sql<string | null>`null`).as("connections"),
    ])
    .where("at", ">", earliest)
    .where((eb) => eb.or(scopes.map(({ scope }) => eb(scope.by, "=", scope.value))))
    .executeTakeFirstOrThrow()) as Record<string, number | string | null>;
  const counts = scopes.map((_, i) => Number(row[`c${i}`] ?? 0));
  return row.connections === null || row.connections === undefined ? { counts } : { counts, connections: Number(row.connections) };
}

/** Drops rows older than every window can reach back. */
export async function pruneSends(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom("send_log").where("at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
