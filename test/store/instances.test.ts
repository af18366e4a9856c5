import assert from "node:assert/strict";
import { it } from "node:test";
import { pino } from "pino";
import { sql } from "kysely";
import { systemClock, type PushProvider } from "../../src/domain/ports.js";
import { PUSH_LEASE_MS } from "../../src/services/push-poller.js";
import type { VerificationView } from "../../src/services/views.js";
import { createChangeBus } from "../../src/services/change-bus.js";
import { jobAnnouncer, listenToOtherInstances, newInstanceId } from "../../src/services/instance-signals.js";
import { createJobQueue, type JobKind } from "../../src/services/job-queue.js";
import { migrate, openDatabase } from "../../src/store/connect.js";
import { createEngineWith, waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { testPostgres } from "../helpers/postgres.js";
import { createTestRuntime, ROOMY_LIMITS, TECHNICIAN } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Issue 13: several instances on one PostgreSQL. Each test starts two or more instances (their
 * own connections, only the database shared) and proves one point: changes reach another
 * instance's event stream by NOTIFY (its poll is set to a minute, so nothing else could bring
 * them), queued jobs wake another instance's workers, migrations are safe when instances start
 * together, and a dead instance's job is taken over once its claim lapses while a live one keeps
 * its own.
 */
const postgres = await testPostgres();
const skip = "skip" in postgres ? postgres.skip : false;
const log = pino({ level: "silent" }, captureLogs().stream);
const job = (handle: JobKind["handle"]): JobKind => ({ handle, concurrency: 2, maxAgeMs: 3_600_000, baseDelayMs: 1000, maxDelayMs: 60_000 });
const newUrl = () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase());

describeUnless("several instances on one PostgreSQL", skip, () => {
  it("a verification checked on one instance reaches an event stream on another by notification, not by its poll", async () => {
    const url = await newUrl();
    const a = await createTestRuntime({ databaseUrl: url, overrides: ROOMY_LIMITS });
    const b = await createTestRuntime({ databaseUrl: url, overrides: ROOMY_LIMITS });
    try {
      await b.runtime.startBackground();
      const started = await a.runtime.engine.start(a.technician, { user: TEST_USERS.jane.upn, method: "sms" });
      const seen: VerificationView[] = [];
      const stop = await b.runtime.engine.watch(b.admin, started.id, (view) => seen.push(view), 60_000);
      try {
        await waitFor(() => seen.length > 0 || undefined);
        await a.runtime.engine.check(a.technician, started.id, await a.codeSentTo(TEST_USERS.jane.mobile));
        const verified = await waitFor(() => seen.find((view) => view.state === "verified"), 5000);
        assert.equal(verified.id, started.id);
      } finally {
        stop();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a job queued on one instance is run at once by an idle worker of another, woken by notification", async () => {
    const url = await newUrl();
    const first = openDatabase(url);
    const second = openDatabase(url);
    await migrate(first.db);
    const ran: string[] = [];
    const idlePollMs = 60_000;
    const aId = newInstanceId();
    const bId = newInstanceId();
    const a = createJobQueue({ db: first.db, clock: systemClock, log, kinds: { note: job(async () => void ran.push("a")) }, idlePollMs, announce: jobAnnouncer(first.db, aId, log) });
    const b = createJobQueue({ db: second.db, clock: systemClock, log, kinds: { note: job(async () => void ran.push("b")) }, idlePollMs, announce: jobAnnouncer(second.db, bId, log) });
    const stopListening = await listenToOtherInstances({ database: second, bus: createChangeBus(), queue: b, instanceId: bId, log });
    b.start();
    try {
      // Let b's workers look once and fall asleep for a minute.
      await new Promise((r) => setTimeout(r, 200));
      await first.db.transaction().execute((trx) => a.enqueue(trx, "note", { n: 1 }).then(() => undefined));
      a.kick();
      await waitFor(() => ran.length > 0 || undefined, 5000);
      assert.deepEqual(ran, ["b"], "instance a never ran a worker; b ran the job long before its minute's poll");
    } finally {
      await stopListening?.();
      await b.stop();
      await first.close();
      await second.close();
    }
  });

  it("migrations are safe when three instances start on an empty database at once", async () => {
    const url = await newUrl();
    const handles = [openDatabase(url), openDatabase(url), openDatabase(url)];
    try {
      await Promise.all(handles.map((h) => migrate(h.db)));
      const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(handles[0]!.db);
      const names = rows.rows.map((r) => r.name);
      assert.equal(new Set(names).size, names.length, "each migration ran once");
      assert.ok(names.includes("0011_verification_evidence"), names.join(", "));
      await handles[1]!.db.selectFrom("verifications").select("evidence").limit(1).execute();
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it("a live instance keeps its long job past the claim's lifetime; a dead instance's job is taken over once the claim lapses", async () => {
    const url = await newUrl();
    const first = openDatabase(url);
    const second = openDatabase(url);
    await migrate(first.db);
    const lockMs = 1500;
    const runs: string[] = [];
    let release = () => {};
    const hung = new Promise<void>((resolve) => (release = resolve));
    const a = createJobQueue({ db: first.db, clock: systemClock, log, lockMs, idlePollMs: 100, kinds: { slow: job(async () => {
      runs.push("a");
      await hung;
    }) } });
    const b = createJobQueue({ db: second.db, clock: systemClock, log, lockMs, idlePollMs: 100, kinds: { slow: job(async () => void runs.push("b")) } });
    await first.db.transaction().execute((trx) => a.enqueue(trx, "slow", {}).then(() => undefined));
    a.start();
    try {
      await waitFor(() => runs.includes("a") || undefined);
      b.start();
      // Twice the claim's lifetime: a renews it while its job runs, so b must not take the job.
      await new Promise((r) => setTimeout(r, 2 * lockMs));
      assert.deepEqual(runs, ["a"], "b took a job its live instance was still running");
      // a dies: its connections go, its renewals with them.
      await first.close();
      await waitFor(() => runs.includes("b") || undefined, 4 * lockMs);
      assert.deepEqual(runs, ["a", "b"]);
    } finally {
      const stopping = a.stop();
      release();
      await stopping;
      await b.stop();
      await second.close();
    }
  });
});

describeUnless("waiting pushes across instances on one PostgreSQL", skip, () => {
  it("one instance polls a waiting push; when it dies, another takes the push over once its lease lapses", async () => {
    const url = await newUrl();
    const polledBy: string[] = [];
    let answer: "waiting" | "approved" = "waiting";
    const provider = (instance: string): PushProvider => ({
      name: "shared",
      kind: "shared",
      developmentOnly: false,
      pollIntervalMs: 20,
      startPush: () => Promise.resolve({ transactionRef: `tx-${crypto.randomUUID()}` }),
      pollPush: () => {
        polledBy.push(instance);
        return Promise.resolve({ outcome: answer });
      },
      cancelPush: () => Promise.resolve(),
    });
    const a = await createEngineWith({ databaseUrl: url, provider: provider("a") });
    const b = await createEngineWith({ databaseUrl: url, provider: provider("b") });
    try {
      const started = await a.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "shared-push" });
      await waitFor(() => polledBy.includes("a") || undefined);
      assert.equal(await b.engine.pushes.resume(), 0, "a holds the lease: b leaves the push alone");
      // a dies: its connections go (no renewal, no release); its lease stays until it lapses.
      await a.handle.close();
      assert.equal(await b.engine.pushes.resume(), 0, "the dead instance's lease still holds");
      b.clock.advance(PUSH_LEASE_MS + 1000);
      assert.equal(await b.engine.pushes.resume(), 1, "the lease lapsed: b takes the push over");
      await waitFor(() => polledBy.includes("b") || undefined);
      answer = "approved";
      const verified = await waitFor(async () => {
        const view = await b.engine.get(TECHNICIAN, started.id);
        return view.state === "verified" ? view : undefined;
      }, 5000);
      assert.equal(verified.id, started.id);
    } finally {
      await a.close().catch(() => undefined);
      await b.close();
    }
  });

  it("a clean stop hands the push to the next instance at once", async () => {
    const url = await newUrl();
    let polls = 0;
    const provider = (): PushProvider => ({
      name: "shared",
      kind: "shared",
      developmentOnly: false,
      pollIntervalMs: 20,
      startPush: () => Promise.resolve({ transactionRef: `tx-${crypto.randomUUID()}` }),
      pollPush: () => {
        polls += 1;
        return Promise.resolve({ outcome: "waiting" });
      },
      cancelPush: () => Promise.resolve(),
    });
    const a = await createEngineWith({ databaseUrl: url, provider: provider() });
    const b = await createEngineWith({ databaseUrl: url, provider: provider() });
    try {
      await a.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "shared-push" });
      // a polls only once it holds the lease.
      await waitFor(() => polls > 0 || undefined);
      assert.equal(await b.engine.pushes.resume(), 0);
      await a.engine.pushes.stop();
      assert.equal(await b.engine.pushes.resume(), 1, "no wait for the lease: the stopped instance released it");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
