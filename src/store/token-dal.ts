import type { Kysely } from "kysely";
import type { ApiTokenRow, Database } from "./schema.js";

type Db = Kysely<Database>;

import type { Role } from "../domain/roles.js";

export { ROLES, type Role } from "../domain/roles.js";

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Tenant ids this token may act in; null means every tenant. */
  readonly tenants: readonly string[] | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

const toToken = (row: ApiTokenRow): ApiToken => ({
  id: row.id,
  name: row.name,
  role: row.role as Role,
  tenants: row.tenants === null ? null : (JSON.parse(row.tenants) as string[]),
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

export async function insertToken(db: Db, token: ApiToken, tokenHash: string): Promise<void> {
  await db
    .insertInto("api_tokens")
    .values({
      id: token.id,
      name: token.name,
      role: token.role,
      token_hash: tokenHash,
      tenants: token.tenants === null ? null : JSON.stringify(token.tenants),
      created_at: token.createdAt,
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
}

export async function findActiveTokenByHash(db: Db, tokenHash: string): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom("api_tokens")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row === undefined ? undefined : toToken(row);
}

export async function listTokens(db: Db): Promise<ApiToken[]> {
  const rows = await db.selectFrom("api_tokens").selectAll().orderBy("created_at").execute();
  return rows.map(toToken);
}

export async function touchToken(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", id).execute();
}

/** Revokes tokens by id or by name; returns how many were active and are now revoked. */
export async function revokeTokens(db: Db, by: { id?: string; name?: string }, at: string): Promise<number> {
  let q = db.updateTable("api_tokens").set({ revoked_at: at }).where("revoked_at", "is", null);
  if (by.id !== undefined) q = q.where("id", "=", by.id);
  if (by.name !== undefined) q = q.where("name", "=", by.name);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
