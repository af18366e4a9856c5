import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Kysely } from "kysely";
import { isVerityError } from "../../src/domain/errors.js";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { migrationProvider } from "../../src/store/migrations.js";
import type { Database } from "../../src/store/schema.js";
import { testPostgres } from "../helpers/postgres.js";
import { describeUnless } from "../helpers/skip.js";

const postgres = await testPostgres();
const tmp = mkdtempSync(join(tmpdir(), "verity-migrate-"));
let sqliteCount = 0;
after(() => rmSync(tmp, { recursive: true, force: true }));

const DIALECTS: { name: string; skip: string | false; newUrl: () => Promise<string> }[] = [
  { name: "SQLite", skip: false, newUrl: () => Promise.resolve(`sqlite:${join(tmp, `m${(sqliteCount += 1)}.db`)}`) },
  {
    name: "PostgreSQL",
    skip: "skip" in postgres ? postgres.skip : false,
    newUrl: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()),
  },
];

const known = async () => Object.keys(await migrationProvider.getMigrations()).sort();
const applied = async (db: Kysely<Database>) =>
  (await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)} order by name`.execute(db)).rows.map((r) => r.name);

/**
 * Every command opens the store, so a current schema costs one query (issue 13); anything else
 * (a new store, one behind, one from a newer Verity) goes through the migrator as before.
 */
for (const dialect of DIALECTS) {
  describeUnless(`migrate (${dialect.name})`, dialect.skip, () => {
    const withStore = async (body: (handle: DatabaseHandle) => Promise<void>) => {
      const handle = openDatabase(await dialect.newUrl());
      try {
        await body(handle);
      } finally {
        await handle.close();
      }
    };

    it("creates a new store, and a second run changes nothing", () =>
      withStore(async ({ db }) => {
        await migrate(db);
        assert.deepEqual(await applied(db), await known());
        await migrate(db);
        assert.deepEqual(await applied(db), await known());
      }));

    it("applies the migrations a store is missing", () =>
      withStore(async ({ db }) => {
        const names = await known();
        const previous = names.at(-2);
        assert.ok(previous !== undefined);
        const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(previous);
        assert.equal(error, undefined);
        assert.deepEqual(await applied(db), names.slice(0, -1));
        await migrate(db);
        assert.deepEqual(await applied(db), names);
      }));

    it("refuses a store that a newer Verity migrated", () =>
      withStore(async ({ db }) => {
        await migrate(db);
        const names = await known();
        await sql`insert into ${sql.table(DEFAULT_MIGRATION_TABLE)} (name, timestamp) values (${"9999_from_the_future"}, ${new Date().toISOString()})`.execute(db);
        await assert.rejects(migrate(db), (error: unknown) => isVerityError(error) && error.code === "INTERNAL_ERROR");
        // The same count with a different newest name is not current either.
        await sql`delete from ${sql.table(DEFAULT_MIGRATION_TABLE)} where name = ${names[0] ?? ""}`.execute(db);
        await assert.rejects(migrate(db), (error: unknown) => isVerityError(error) && error.code === "INTERNAL_ERROR");
      }));
  });
}
