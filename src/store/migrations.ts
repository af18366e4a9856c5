import { PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { GENESIS_HASH } from "../domain/audit-chain.js";

/* Migrations are written against Kysely's schema builder, so each runs on both dialects (one column type differs). */

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

const jobsAndDeliveries: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("dedupe_key", "text", (c) => c.unique())
      .addColumn("ordering_key", "text")
      .addColumn("ordering_seq", "bigint")
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("next_attempt_at", "text", (c) => c.notNull())
      .addColumn("locked_until", "text")
      .addColumn("last_error", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("jobs_due").on("jobs").columns(["state", "next_attempt_at"]).execute();
    await db.schema.createIndex("jobs_order").on("jobs").columns(["ordering_key", "state", "ordering_seq"]).execute();

    await db.schema
      .createTable("webhook_deliveries")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("delivery_id", "text", (c) => c.notNull())
      .addColumn("body_hash", "text", (c) => c.notNull())
      .addColumn("received_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("webhook_deliveries_pk", ["source", "delivery_id"])
      .execute();

    await db.schema.createIndex("verifications_provider_ref").on("verifications").columns(["provider_ref"]).execute();
    await db.schema.createIndex("verifications_ticket").on("verifications").columns(["tenant_id", "ticket", "created_at"]).execute();
  },
};

const pushPrompt: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("verifications").addColumn("prompt", "text").execute();
  },
};

/**
 * What started a verification when it must start at most once (a HaloPSA delivery): a job
 * retried after a crash finds the row it already made instead of sending again. Unique, and
 * NULL for verifications started by people (NULLs are distinct in SQLite and PostgreSQL).
 */
const origin: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("verifications").addColumn("origin", "text").execute();
    await db.schema.createIndex("verifications_origin").unique().on("verifications").columns(["origin"]).execute();
  },
};

/**
 * Which ticketing system confirmed that a verification's ticket is the caller's (issue 9 #3):
 * notes go only to tickets proven that way. Earlier rows keep NULL and get no further notes.
 */
const ticketSystem: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("verifications").addColumn("ticket_system", "text").execute();
    await db.schema.createIndex("verifications_ticket_system").on("verifications").columns(["ticket_system", "ticket", "created_at"]).execute();
  },
};

/**
 * One row per code or push sent (starts and resends), with who sent it and where an SMS went: the
 * counts behind the per-technician, per-tenant, per-country and per-prefix caps (SECURITY.md A8).
 * Written in the audit transaction that records the send, so counting and recording cannot race.
 */
const sendLog: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("send_log")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("technician", "text", (c) => c.notNull())
      .addColumn("subject_id", "text", (c) => c.notNull())
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("country", "text")
      .addColumn("prefix", "text")
      .execute();
    await db.schema.createIndex("send_log_technician").on("send_log").columns(["technician", "at"]).execute();
    await db.schema.createIndex("send_log_tenant").on("send_log").columns(["tenant_id", "at"]).execute();
    await db.schema.createIndex("send_log_country").on("send_log").columns(["country", "at"]).execute();
    await db.schema.createIndex("send_log_prefix").on("send_log").columns(["prefix", "at"]).execute();
    await db.schema.createIndex("send_log_at").on("send_log").columns(["at"]).execute();
  },
};

/**
 * People who sign in to the web app: local accounts (password and TOTP) and single-sign-on users
 * (created at their first sign-in, their role re-read from the identity provider each time), the
 * sessions they hold, and the short-lived state of a sign-in at an identity provider.
 */
const webAccounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("username", "text", (c) => c.unique())
      .addColumn("provider", "text")
      .addColumn("subject", "text")
      .addColumn("display_name", "text", (c) => c.notNull())
      .addColumn("email", "text")
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("tenants", "text")
      .addColumn("password_hash", "text")
      .addColumn("totp_secret", "text")
      .addColumn("totp_last_step", "bigint")
      .addColumn("failed_signins", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("locked_until", "text")
      .addColumn("disabled_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("last_signin_at", "text")
      .execute();
    await db.schema.createIndex("users_external").unique().on("users").columns(["provider", "subject"]).execute();

    await db.schema
      .createTable("web_sessions")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("last_seen_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("ended_at", "text")
      .addColumn("end_reason", "text")
      .execute();
    await db.schema.createIndex("web_sessions_user").on("web_sessions").columns(["user_id", "ended_at"]).execute();

    await db.schema
      .createTable("auth_flows")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("nonce", "text", (c) => c.notNull())
      .addColumn("code_verifier", "text", (c) => c.notNull())
      .addColumn("return_to", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .execute();
  },
};

/**
 * History (issue 10) reads newest first, by keyset (created_at, id): across all tenants, within
 * one tenant, or one person's own.
 */
const historyIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex("verifications_created").on("verifications").columns(["created_at", "id"]).execute();
    await db.schema.createIndex("verifications_tenant_created").on("verifications").columns(["tenant_id", "created_at", "id"]).execute();
    await db.schema.createIndex("verifications_creator_created").on("verifications").columns(["created_by", "created_at", "id"]).execute();
  },
};

/**
 * A verification's ticket system is now recorded when it starts (a tenant can be reached from
 * several systems, issue 11), and whether that system has confirmed the ticket is the caller's is
 * kept apart: notes go only to confirmed tickets. Rows confirmed before keep their system and get
 * their confirmation time; a row still waiting for its system is confirmed when it resumes.
 */
const ticketConfirmed: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("verifications").addColumn("ticket_confirmed_at", "text").execute();
    await sql`update verifications set ticket_confirmed_at = created_at where ticket_system is not null and (state_reason is null or state_reason <> 'waiting_for_ticketing')`.execute(db);
  },
};

/**
 * Notification destinations that answered 410 Gone (by a keyed hash of their kind and URL, never
 * the URL): nothing more is sent to them. A new URL is a new destination.
 */
const notificationDestinations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("notification_disabled")
      .addColumn("destination_key", "text", (c) => c.primaryKey())
      .addColumn("label", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("disabled_at", "text", (c) => c.notNull())
      .execute();
  },
};

/**
 * What a caller-page method proved (issue 12): a sign-in's assurance and acr/amr, a Face Check
 * score, who approved. JSON, null for every other method. Never a token, a photo or a credential.
 */
const verificationEvidence: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("verifications").addColumn("evidence", "text").execute();
  },
};

/**
 * Who polls a waiting push, and until when (issue 13): one instance at a time, renewing as it
 * polls, so another takes over within the lease when it dies.
 */
const pushPollLease: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("verifications").addColumn("poll_owner", "text").execute();
    await db.schema.alterTable("verifications").addColumn("poll_lease_until", "text").execute();
  },
};

/**
 * Audit events committed but not yet linked into the chain (issue 13). On PostgreSQL a
 * state-changing transaction writes its events here, without taking the chain's lock, and a linker
 * moves them into audit_events in batches under the lock right after the commit: the chain stays
 * one gap-free sequence while transactions run side by side. SQLite links in the transaction
 * itself and leaves this table empty. `pid` orders events by when they were written: a
 * PostgreSQL bigserial, SQLite's rowid.
 */
const auditPending: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable("audit_pending")
      .addColumn("pid", postgres ? sql`bigserial` : "integer", (c) => c.primaryKey())
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
      .execute();
  },
};

/**
 * HTTP request counts per client and minute (issue 13), so instances behind one balancer share
 * `server.requestsPerMinute`. Only PostgreSQL writes here; the table exists on SQLite too so the
 * schema is the same on both. Keys are a bucket kind and a keyed hash, never an address or id.
 * On PostgreSQL the table is UNLOGGED: every request writes it, and without WAL its commits wait
 * for no disk flush. A crash empties it (and standbys do not have it), which costs a minute's
 * counts at most.
 */
const rateLimitWindows: Migration = {
  async up(db: Kysely<unknown>) {
    const table = db.schema.createTable("rate_limit_windows");
    await (db.getExecutor().adapter instanceof PostgresAdapter ? table.modifyFront(sql`unlogged`) : table)
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("window_start", "bigint", (c) => c.notNull())
      .addColumn("count", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("rate_limit_windows_pk", ["key", "window_start"])
      .execute();
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () =>
    Promise.resolve({
      "0001_initial": initial,
      "0002_jobs_and_deliveries": jobsAndDeliveries,
      "0003_push_prompt": pushPrompt,
      "0004_origin": origin,
      "0005_ticket_system": ticketSystem,
      "0006_send_log": sendLog,
      "0007_web_accounts": webAccounts,
      "0008_history_indexes": historyIndexes,
      "0009_ticket_confirmed": ticketConfirmed,
      "0010_notification_disabled": notificationDestinations,
      "0011_verification_evidence": verificationEvidence,
      "0012_push_poll_lease": pushPollLease,
      "0013_audit_pending": auditPending,
      "0014_rate_limit_windows": rateLimitWindows,
    }),
};
