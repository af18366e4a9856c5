import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./net.js";

/**
 * A PostgreSQL for tests: the one named by VERITY_TEST_DATABASE_URL, or a throwaway server this
 * process starts with initdb/pg_ctl (as the `postgres` user when running as root) on a free
 * port, removed at exit. Each caller gets a fresh database in it.
 *
 * Without either, `skip` says why; with VERITY_REQUIRE_POSTGRES=1 (set in CI) that is an error.
 */
export interface TestPostgres {
  /** A URL to a new, empty database. */
  createDatabase(): Promise<string>;
}

let server: Promise<{ baseUrl: string } | { skip: string }> | undefined;

export async function testPostgres(): Promise<TestPostgres | { skip: string }> {
  server ??= start();
  const started = await server;
  if ("skip" in started) {
    if (process.env.VERITY_REQUIRE_POSTGRES === "1") throw new Error(`PostgreSQL is required here: ${started.skip}`);
    return started;
  }
  let counter = 0;
  return {
    async createDatabase() {
      counter += 1;
      const name = `verity_test_${process.pid}_${counter}_${Date.now().toString(36)}`;
      const admin = new pg.Client({ connectionString: started.baseUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(started.baseUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}

async function start(): Promise<{ baseUrl: string } | { skip: string }> {
  const named = process.env.VERITY_TEST_DATABASE_URL;
  if (named !== undefined && named !== "") return { baseUrl: named };
  if (spawnSync("initdb", ["--version"]).status !== 0 || spawnSync("pg_ctl", ["--version"]).status !== 0) {
    return { skip: "no PostgreSQL: set VERITY_TEST_DATABASE_URL or put initdb and pg_ctl on PATH" };
  }
  const asRoot = process.getuid?.() === 0;
  const run = (args: string[]) => {
    const [cmd, ...rest] = args;
    const result = asRoot
      ? spawnSync("runuser", ["-u", "postgres", "--", cmd ?? "", ...rest], { encoding: "utf8" })
      : spawnSync(cmd ?? "", rest, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr || result.stdout}`);
  };
  const dir = mkdtempSync(join(tmpdir(), "verity-pg-"));
  if (asRoot) spawnSync("chown", ["postgres:", dir]);
  const port = await freePort();
  run(["initdb", "-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
  run([
    "pg_ctl",
    "-D",
    join(dir, "data"),
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    "start",
  ]);
  process.on("exit", () => {
    const stop = ["pg_ctl", "-D", join(dir, "data"), "-m", "immediate", "stop"];
    if (asRoot) spawnSync("runuser", ["-u", "postgres", "--", ...stop]);
    else spawnSync(stop[0] ?? "", stop.slice(1));
    rmSync(dir, { recursive: true, force: true });
  });
  return { baseUrl: `postgres://postgres@127.0.0.1:${port}/postgres` };
}
