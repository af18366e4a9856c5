import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { GENESIS_HASH } from "../domain/audit-chain.js";

/* Migrations are written against Kysely's schema builder only, so each runs on both dialects. */

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("verifications")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("subject_id", "text", (c) => c.notNull())
      .addColumn("subject_name", "text", (c) => c.notNull())
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("state_reason", "text")
      .addColumn("technician", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("ticket", "text")
      .addColumn("reason", "text")
      .addColumn("code_hash", "text")
      .addColumn("code_length", "integer")
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("max_attempts", "integer", (c) => c.notNull())
      .addColumn("sends", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("destination_masked", "text")
      .addColumn("destination_hash", "text")
      .addColumn("provider_ref", "text")
      .addColumn("challenge", "text")
      .addColumn("risk", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("completed_at", "text")
      .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.createIndex("verifications_open").on("verifications").columns(["state", "expires_at"]).execute();
    await db.schema
      .createIndex("verifications_subject")
      .on("verifications")
      .columns(["tenant_id", "subject_id", "created_at"])
      .execute();

    await db.schema
      .createTable("audit_events")
      .addColumn("seq", "bigint", (c) => c.primaryKey())
      .addColumn("id", "text", (c) => c.notNull().unique())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("tenant_id", "text")
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("subject_id", "text")
      .addColumn("verification_id", "text")
      .addColumn("ticket", "text")
      .addColumn("method", "text")
      .addColumn("destination_masked", "text")
      .addColumn("destination_hash", "text")
      .addColumn("outcome", "text")
      .addColumn("reason", "text")
      .addColumn("data", "text")
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("audit_subject").on("audit_events").columns(["subject_id", "action", "at"]).execute();
    await db.schema.createIndex("audit_verification").on("audit_events").columns(["verification_id"]).execute();
    await db.schema.createIndex("audit_at").on("audit_events").columns(["at"]).execute();

    await db.schema
      .createTable("audit_head")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);

    await db.schema
      .createTable("api_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("tenants", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("last_used_at", "text")
      .addColumn("revoked_at", "text")
      .execute();
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ "0001_initial": initial }),
};
