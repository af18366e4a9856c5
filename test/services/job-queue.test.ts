import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";
import { pino } from "pino";
import { VerityError } from "../../src/domain/errors.js";
import { createJobQueue, type JobKind } from "../../src/services/job-queue.js";
import { claimDueJob, countJobs } from "../../src/store/job-dal.js";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { createFakeClock } from "../helpers/clock.js";
import { waitFor } from "../helpers/engine.js";
import { captureLogs } from "../helpers/logs.js";

const kind = (handle: JobKind["handle"], overrides: Partial<JobKind> = {}): JobKind => ({
  handle,
  concurrency: 1,
  maxAgeMs: 3_600_000,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  ...overrides,
});

/** Counts the SELECTs that look for a due job (a claim), as the database sees them. */
function countClaims(): { plugin: KyselyPlugin; count: () => number } {
  let claims = 0;
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const node = args.node;
      if (node.kind === "SelectQueryNode" && JSON.stringify(node.from ?? {}).includes('"jobs"')) claims += 1;
      return node;
    },
    transformResult: (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => Promise.resolve(args.result),
  };
  return { plugin, count: () => claims };
}

describe("durable job queue", () => {
  let handle: DatabaseHandle;
  const logs = captureLogs();
  const log = pino({ level: "debug" }, logs.stream);
  before(async () => {
    handle = openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), "verity-jobs-")), "j.db")}`);
    await migrate(handle.db);
  });
  after(() => handle.close());

  it("runs a job once and never queues a duplicate key twice", async () => {
    const clock = createFakeClock();
    const seen: unknown[] = [];
    const queue = createJobQueue({ db: handle.db, clock, log, kinds: { note: kind(async (p) => void seen.push(p)) } });
    assert.equal(await queue.enqueue(handle.db, "note", { n: 1 }, { dedupeKey: "event-1" }), true);
    assert.equal(await queue.enqueue(handle.db, "note", { n: 2 }, { dedupeKey: "event-1" }), false);
    assert.equal(await queue.drain(), 1);
    assert.deepEqual(seen, [{ n: 1 }]);
    assert.equal(await queue.drain(), 0);
  });

  it("retries a failing job after a backoff, then completes it", async () => {
    const clock = createFakeClock();
    let calls = 0;
    const queue = createJobQueue({
      db: handle.db,
      clock,
      log,
      kinds: {
        flaky: kind(async (_p, context) => {
          calls += 1;
          assert.equal(context.attempt, calls);
          if (calls < 3) throw new VerityError("TICKETING_UNAVAILABLE");
        }),
      },
    });
    await queue.enqueue(handle.db, "flaky", {});
    assert.equal(await queue.drain(), 1);
    assert.equal(await queue.drain(), 0, "not due until the backoff has passed");
    clock.advance(1000);
    assert.equal(await queue.drain(), 1);
    clock.advance(2000);
    assert.equal(await queue.drain(), 1);
    assert.equal(calls, 3);
    assert.equal(await countJobs(handle.db, "pending", "flaky"), 0);
  });

  it("gives up on a non-retryable error at once, and on retryable ones when too old", async () => {
    const clock = createFakeClock();
    const abandoned: string[] = [];
    const queue = createJobQueue({
      db: handle.db,
      clock,
      log,
      kinds: {
        broken: kind(() => Promise.reject(new VerityError("TICKET_NOT_FOUND")), { onGiveUp: async (_p, e) => void abandoned.push(e) }),
        down: kind(() => Promise.reject(new VerityError("TICKETING_UNAVAILABLE")), {
          maxAgeMs: 10_000,
          onGiveUp: async (_p, e) => void abandoned.push(`down: ${e}`),
        }),
      },
    });
    await queue.enqueue(handle.db, "broken", {});
    await queue.enqueue(handle.db, "down", {});
    await queue.drain();
    assert.deepEqual(abandoned, ["No such ticket in the ticketing system."]);
    clock.advance(11_000);
    await queue.drain();
    assert.equal(abandoned[1], "down: The ticketing system could not be reached.");
    assert.equal(await countJobs(handle.db, "dead", "down"), 1);
  });

  it("runs jobs sharing an ordering key in sequence, holding later ones while an earlier one retries", async () => {
    const clock = createFakeClock();
    const order: number[] = [];
    let failFirst = true;
    const queue = createJobQueue({
      db: handle.db,
      clock,
      log,
      kinds: {
        ordered: kind(async (payload) => {
          const n = (payload as { n: number }).n;
          if (n === 1 && failFirst) {
            failFirst = false;
            throw new VerityError("TICKETING_UNAVAILABLE");
          }
          order.push(n);
        }),
      },
    });
    await queue.enqueue(handle.db, "ordered", { n: 2 }, { ordering: { key: "ticket-9", seq: 20 } });
    await queue.enqueue(handle.db, "ordered", { n: 1 }, { ordering: { key: "ticket-9", seq: 10 } });
    await queue.enqueue(handle.db, "ordered", { n: 3 }, { ordering: { key: "ticket-other", seq: 5 } });
    await queue.drain();
    assert.deepEqual(order, [3], "the earlier note failed, so the later one on that ticket waits");
    clock.advance(60_000);
    await queue.drain();
    assert.deepEqual(order, [3, 1, 2]);
  });

  it("runs a job again when its worker died holding the lock", async () => {
    const clock = createFakeClock();
    let runs = 0;
    const queue = createJobQueue({ db: handle.db, clock, log, kinds: { orphan: kind(async () => void (runs += 1)) } });
    await queue.enqueue(handle.db, "orphan", {});
    const now = clock.now().toISOString();
    assert.ok(await claimDueJob(handle.db, ["orphan"], now, new Date(clock.now().getTime() + 120_000).toISOString()), "a worker claims it and dies");
    assert.equal(await queue.drain(), 0, "locked");
    clock.advance(120_001);
    assert.equal(await queue.drain(), 1);
    assert.equal(runs, 1);
  });

  it("keeps kinds in separate lanes: a hung upstream does not delay other work", async () => {
    const clock = createFakeClock();
    let release = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const done: string[] = [];
    const queue = createJobQueue({
      db: handle.db,
      clock,
      log,
      kinds: { slowNote: kind(() => hung.then(() => void done.push("note"))), verify: kind(async () => void done.push("verify")) },
    });
    queue.start();
    try {
      await queue.enqueue(handle.db, "slowNote", {});
      queue.kick();
      await queue.enqueue(handle.db, "verify", {});
      queue.kick();
      await waitFor(() => done.includes("verify"));
      assert.deepEqual(done, ["verify"]);
      release();
      await waitFor(() => done.includes("note"));
    } finally {
      await queue.stop();
    }
  });

  it("gives each job to exactly one of several instances", async () => {
    const clock = createFakeClock();
    const runs = new Map<number, number>();
    const handler = kind(async (payload) => {
      const n = (payload as { n: number }).n;
      runs.set(n, (runs.get(n) ?? 0) + 1);
    }, { concurrency: 3 });
    const second = openDatabase(`sqlite:${handle.location}`);
    const a = createJobQueue({ db: handle.db, clock, log, kinds: { many: handler } });
    const b = createJobQueue({ db: second.db, clock, log, kinds: { many: handler } });
    for (let n = 0; n < 60; n += 1) await a.enqueue(handle.db, "many", { n });
    a.start();
    b.start();
    try {
      await waitFor(() => runs.size === 60, 15_000);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok([...runs.values()].every((count) => count === 1));
    } finally {
      await a.stop();
      await b.stop();
      await second.close();
    }
  });

  it("wakes only as many workers as jobs were queued, and an idle kind is polled by one worker, not each", async () => {
    const clock = createFakeClock();
    const claims = countClaims();
    const db = handle.db.withPlugin(claims.plugin);
    const ran: string[] = [];
    const busy = (name: string) => kind(async () => void ran.push(name), { concurrency: 4 });
    const queue = createJobQueue({ db, clock, log, kinds: { alpha: busy("alpha"), beta: busy("beta"), gamma: busy("gamma") } });
    queue.start();
    try {
      // Every worker looks once at start (12), then sleeps.
      await waitFor(() => claims.count() >= 12 || undefined);
      await new Promise((r) => setTimeout(r, 50));
      const settled = claims.count();
      // Commits that queued nothing (every audit append kicks) wake nobody.
      for (let i = 0; i < 50; i += 1) queue.kick();
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(claims.count(), settled, "a kick with nothing queued costs no query");
      // One job: its kind's workers look (the one woken, and one more in case of a backlog), not all twelve.
      await queue.enqueue(db, "beta", {});
      queue.kick();
      await waitFor(() => ran.includes("beta") || undefined);
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(claims.count() - settled <= 4, `claims after one job: ${claims.count() - settled}`);
      assert.deepEqual(ran, ["beta"]);
      // Idle for about two seconds: one poll per kind per second (3 kinds), not one per worker (12).
      const idleFrom = claims.count();
      await new Promise((r) => setTimeout(r, 2100));
      assert.ok(claims.count() - idleFrom <= 9, `idle claims in 2.1 s: ${claims.count() - idleFrom}`);
    } finally {
      await queue.stop();
    }
  });

  it("wakeAll lets idle workers find jobs that became due as the clock moved", async () => {
    const clock = createFakeClock();
    const ran: number[] = [];
    const queue = createJobQueue({ db: handle.db, clock, log, kinds: { later: kind(async (p) => void ran.push((p as { n: number }).n)) } });
    queue.start();
    try {
      await queue.enqueue(handle.db, "later", { n: 7 }, { delayMs: 60_000 });
      queue.kick();
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(ran, [], "not due yet");
      clock.advance(61_000);
      queue.wakeAll();
      await waitFor(() => ran.length > 0 || undefined, 500);
      assert.deepEqual(ran, [7]);
    } finally {
      await queue.stop();
    }
  });

  it("never starts a second run of a job this process is still running, even when the clock jumps past its claim", async () => {
    const clock = createFakeClock();
    let runs = 0;
    let release = () => {};
    const hung = new Promise<void>((resolve) => (release = resolve));
    const queue = createJobQueue({
      db: handle.db,
      clock,
      log,
      lockMs: 5000,
      kinds: {
        jumpy: kind(
          async () => {
            runs += 1;
            await hung;
          },
          { concurrency: 3 },
        ),
      },
    });
    queue.start();
    try {
      await queue.enqueue(handle.db, "jumpy", {});
      queue.kick();
      await waitFor(() => runs > 0 || undefined);
      // An NTP step (or a test's fake clock) moves time past the claim while the job runs.
      clock.advance(60_000);
      queue.wakeAll();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(runs, 1, "the job ran twice at once in one process");
      release();
      await waitFor(async () => ((await countJobs(handle.db, "done", "jumpy")) === 1) || undefined);
    } finally {
      release();
      await queue.stop();
    }
  });
});
