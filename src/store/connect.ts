import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { DEFAULT_MIGRATION_TABLE, Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Driver, type SqliteDatabase } from "kysely";
import type pg from "pg";
import { VerityError } from "../domain/errors.js";
import { migrationProvider } from "./migrations.js";
import type { Database } from "./schema.js";

// Each driver is loaded when a URL names its database, not before: loading the PostgreSQL driver
// took about a third of the CLI's start on SQLite. Both are CommonJS, so `require` keeps
// openDatabase synchronous.
const require = createRequire(import.meta.url);
const sqliteDriver = () => require("better-sqlite3") as typeof BetterSqlite3;
const postgresDriver = () => require("pg") as typeof pg;

export type DialectName = "sqlite" | "postgres";

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where the data lives, for people: a file path, or the PostgreSQL host and database. */
  readonly location: string;
  /**
   * PostgreSQL only: LISTENs on `channels` over a connection of its own (reconnecting after a
   * failure, `onReconnect` then says notifications may have been missed) and calls `onNotify` for
   * each notification. Resolves once listening; the returned function stops.
   */
  readonly listen?: (channels: readonly string[], onNotify: (channel: string, payload: string) => void, onReconnect?: () => void) => Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** `sqlite:<path>` (or `sqlite::memory:`) and `postgres://…` / `postgresql://…` URLs. */
export function openDatabase(url: string): DatabaseHandle {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length));
  throw new VerityError("CONFIG_INVALID", { message: "database.url must start with sqlite: or postgres://" });
}

function openSqlite(path: string): DatabaseHandle {
  const memory = path === ":memory:";
  const file = memory ? path : resolve(path);
  if (!memory) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const Sqlite = sqliteDriver();
  const sqlite = new Sqlite(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new FairSqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: "sqlite", location: file, close: () => db.destroy() };
}

/**
 * Kysely's SQLite driver guards its one connection with a lock that wakes every waiter at each
 * release, and the first to run takes it: under load (a hundred requests waiting for the
 * connection) each release costs a hundred wake-ups, and a waiter can lose many times running.
 * This dialect queues for the connection first-come first-served, so the driver's own lock is
 * never contended (`npm run bench`: about 5 % more verifications a second at 100 at once).
 */
class FairSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return fairDriver(super.createDriver());
  }
}

function fairDriver(inner: Driver): Driver {
  const waiting: (() => void)[] = [];
  let held = false;
  const take = (): Promise<void> => {
    if (!held) {
      held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const give = (): void => {
    const next = waiting.shift();
    if (next === undefined) held = false;
    else next();
  };
  return {
    init: () => inner.init(),
    async acquireConnection() {
      await take();
      try {
        return await inner.acquireConnection();
      } catch (error) {
        give();
        throw error;
      }
    },
    beginTransaction: (connection, settings) => inner.beginTransaction(connection, settings),
    commitTransaction: (connection) => inner.commitTransaction(connection),
    rollbackTransaction: (connection) => inner.rollbackTransaction(connection),
    ...(inner.savepoint === undefined ? {} : { savepoint: inner.savepoint.bind(inner) }),
    ...(inner.rollbackToSavepoint === undefined ? {} : { rollbackToSavepoint: inner.rollbackToSavepoint.bind(inner) }),
    ...(inner.releaseSavepoint === undefined ? {} : { releaseSavepoint: inner.releaseSavepoint.bind(inner) }),
    async releaseConnection(connection) {
      try {
        await inner.releaseConnection(connection);
      } finally {
        give();
      }
    },
    destroy: () => inner.destroy(),
  };
}

/**
 * Kysely prepares every query afresh; SQLite statements are reusable, and preparing was the
 * largest cost on the request path (see `npm run bench`). Safe because Kysely's SQLite driver
 * runs one query at a time on its single connection and never iterates a statement.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, limit = 500): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        if (cache.size >= limit) cache.clear();
        statement = sqlite.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

const INT8_OID = 20;

const int8AsNumber = (types: typeof pg.types) =>
  ((oid: number, format?: "text" | "binary"): unknown =>
    oid === INT8_OID ? (value: string) => Number(value) : (types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser;

function openPostgres(url: string): DatabaseHandle {
  const pg = postgresDriver();
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    // int8 is a JS-safe counter here (audit sequence numbers); parse it for this pool only.
    types: { getTypeParser: int8AsNumber(pg.types) },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  return {
    db,
    dialect: "postgres",
    location: `postgres://${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`,
    listen: (channels, onNotify, onReconnect) => listenPostgres(url, channels, onNotify, onReconnect),
    close: () => db.destroy(),
  };
}

const LISTEN_RETRY_MS = [250, 500, 1000, 2000, 5000];

/** See DatabaseHandle.listen. Channel names are Verity's own constants, quoted as identifiers. */
async function listenPostgres(
  url: string,
  channels: readonly string[],
  onNotify: (channel: string, payload: string) => void,
  onReconnect?: () => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let failures = 0;
  const retryLater = (): void => {
    if (stopped) return;
    const delay = LISTEN_RETRY_MS[Math.min(failures, LISTEN_RETRY_MS.length - 1)] ?? 5000;
    failures += 1;
    setTimeout(() => {
      if (stopped) return;
      connect().then(() => onReconnect?.(), retryLater);
    }, delay).unref();
  };
  const pg = postgresDriver();
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    next.on("notification", (n) => onNotify(n.channel, n.payload ?? ""));
    next.on("error", () => undefined);
    next.on("end", () => {
      if (stopped || client !== next) return;
      client = undefined;
      retryLater();
    });
    try {
      await next.connect();
      for (const channel of channels) await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    client = next;
    failures = 0;
  };
  await connect();
  return async () => {
    stopped = true;
    const current = client;
    client = undefined;
    await current?.end().catch(() => undefined);
  };
}

/** Brings the schema up to date; safe to run from several instances at once. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  if (await schemaIsCurrent(db)) return;
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new VerityError("INTERNAL_ERROR", { message: `Database migration ${failed} failed.`, cause: error });
  }
}

/**
 * One cheap query instead of the migrator's table checks and lock on every start (each CLI
 * command opens the store): the schema is current when the applied migrations are exactly the
 * ones this version knows. Anything else (a new store, a pending or an unknown migration) goes
 * through the migrator, which applies or refuses as before.
 */
async function schemaIsCurrent(db: Kysely<Database>): Promise<boolean> {
  const known = Object.keys(await migrationProvider.getMigrations()).sort();
  try {
    const { rows } = await sql<{ applied: number | string; latest: string | null }>`select count(*) as applied, max(name) as latest from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
    const row = rows[0];
    return row !== undefined && Number(row.applied) === known.length && row.latest === known.at(-1);
  } catch {
    // No migration table yet: a new store.
    return false;
  }
}
