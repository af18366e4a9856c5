// `npm run bench`: throughput and latency of whole verifications (start + check) through the
// HTTP app, on the embedded SQLite store and, when one is available, PostgreSQL. Upstream time is
// excluded: the console channel delivers. Targets (SECURITY.md R12): >= 50 verifications/s and
// p95 < 200 ms per request on one instance.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { parseConfig } from "../src/config/load.js";
import { buildApp } from "../src/http/build-app.js";
import { createRuntime } from "../src/main.js";
import { captureLogs } from "../test/helpers/logs.js";
import { testPostgres } from "../test/helpers/postgres.js";

const USERS = 40;
const PER_USER = 15;
const TARGET_RATE = 50;
const TARGET_P95_MS = 200;
const PACED_SECONDS = 10;

interface Result {
  readonly store: string;
  /** Closed loop, 40 technicians as fast as they can: the ceiling. */
  readonly saturated: { verifications: number; seconds: number };
  /** Open loop at the target rate: the latency a desk would see. */
  readonly paced: { start: number[]; check: number[]; lateMs: number };
}

async function run(store: string, databaseUrl: string | undefined): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "verity-bench-"));
  const users = Array.from({ length: USERS }, (_, i) => ({
    id: `b-${i}`,
    upn: `user${i}@bench.test`,
    displayName: `Bench User ${i}`,
    phones: { mobile: `+44 7700 90${String(i).padStart(4, "0")}` },
  }));
  writeFileSync(join(dir, "directory.yaml"), stringify({ users }));
  const raw = {
    dataDir: join(dir, "data"),
    log: { level: "warn" },
    server: { requestsPerMinute: 100_000 },
    ...(databaseUrl === undefined ? {} : { database: { url: databaseUrl }, security: { hashKey: "bench-hash-key-bench-hash-key-0123456789" } }),
    verification: { limits: { sends: { max: 1000, windowSeconds: 3600 }, failures: { max: 1000, windowSeconds: 86_400 }, technician: { max: 1_000_000, windowSeconds: 3600 }, tenant: { max: 1_000_000, windowSeconds: 3600 }, tenantDaily: { max: 1_000_000, windowSeconds: 86_400 }, smsCountry: { max: 1_000_000, windowSeconds: 3600 }, smsPrefix: { max: 1_000_000, windowSeconds: 3600 } } },
    providers: { console: { kind: "console" } },
    tenants: [{ id: "bench", name: "Bench", domains: ["bench.test"], directory: { kind: "file", path: "directory.yaml" }, methods: { sms: "console" } }],
  };
  const latestCode = new Map<string, string>();
  const runtime = await createRuntime(parseConfig(raw, { env: {}, baseDir: dir, source: "bench", demo: false }), {
    logDestination: captureLogs().stream,
    print: (line) => {
      const to = line.match(/SMS to (.+?): /)?.[1];
      const code = line.match(/: (\d{6}) is your/)?.[1];
      if (to !== undefined && code !== undefined) latestCode.set(to, code);
    },
  });
  const app = await buildApp(runtime);
  const { token } = await runtime.tokens.create({ name: "bench", role: "technician", tenants: null }, { id: "bench", name: "bench", role: "admin", tenants: null });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const one = async (user: (typeof users)[number], startTimes: number[], checkTimes: number[]) => {
    let t0 = performance.now();
    const started = await app.inject({ method: "POST", url: "/api/v1/verifications", headers, payload: JSON.stringify({ user: user.upn, method: "sms" }) });
    startTimes.push(performance.now() - t0);
    const view = started.json<{ id: string; destination: string }>();
    if (started.statusCode !== 201) throw new Error(`start failed: ${started.body}`);
    const code = latestCode.get(view.destination) ?? "";
    t0 = performance.now();
    const checked = await app.inject({ method: "POST", url: `/api/v1/verifications/${view.id}/check`, headers, payload: JSON.stringify({ code }) });
    checkTimes.push(performance.now() - t0);
    if (checked.json<{ outcome: string }>().outcome !== "verified") throw new Error(`check failed: ${checked.body}`);
  };

  const began = performance.now();
  await Promise.all(users.map(async (user) => {
    for (let i = 0; i < PER_USER; i += 1) await one(user, [], []);
  }));
  const saturated = { verifications: USERS * PER_USER, seconds: (performance.now() - began) / 1000 };

  // Paced: a new verification every 1/TARGET_RATE s, each for the next user in turn (one at a
  // time per user, as on a real desk).
  const start: number[] = [];
  const check: number[] = [];
  const busy = new Set<number>();
  const running: Promise<void>[] = [];
  const pacedBegan = performance.now();
  let lateMs = 0;
  for (let n = 0; n < TARGET_RATE * PACED_SECONDS; n += 1) {
    const due = pacedBegan + (n * 1000) / TARGET_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else lateMs = Math.max(lateMs, -wait);
    let index = n % USERS;
    while (busy.has(index)) index = (index + 1) % USERS;
    busy.add(index);
    running.push(one(users[index]!, start, check).finally(() => busy.delete(index)));
  }
  await Promise.all(running);
  await app.close();
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
  return { store, saturated, paced: { start, check, lateMs } };
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

const results: Result[] = [await run("SQLite", undefined)];
const postgres = await testPostgres().catch((error: unknown) => ({ skip: String(error) }));
if ("skip" in postgres) console.log(`PostgreSQL: skipped (${postgres.skip})`);
else results.push(await run("PostgreSQL", await postgres.createDatabase()));

let ok = true;
console.log(`\nWhole verifications (start + correct check) through the HTTP app; console channel, so no upstream time.`);
console.log(`ceiling: ${USERS} technicians back to back; latency: a new verification every ${1000 / TARGET_RATE} ms for ${PACED_SECONDS} s\n`);
console.log("store        ceiling/s   at 50/s: start p50/p95/p99 ms   check p50/p95/p99 ms     result");
for (const r of results) {
  const rate = r.saturated.verifications / r.saturated.seconds;
  const fmt = (v: number[]) => [50, 95, 99].map((p) => pct(v, p).toFixed(1)).join(" / ");
  const pass = rate >= TARGET_RATE && pct(r.paced.start, 95) < TARGET_P95_MS && pct(r.paced.check, 95) < TARGET_P95_MS;
  ok &&= pass;
  console.log(`${r.store.padEnd(12)} ${rate.toFixed(0).padStart(9)}   ${fmt(r.paced.start).padEnd(28)}  ${fmt(r.paced.check).padEnd(24)} ${pass ? "PASS" : "FAIL"}`);
}
console.log(`\ntargets (SECURITY.md R12): ceiling >= ${TARGET_RATE} verifications/s; p95 < ${TARGET_P95_MS} ms per request at ${TARGET_RATE}/s`);
if (!ok) process.exit(1);
