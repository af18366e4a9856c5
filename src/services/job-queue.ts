import { randomInt, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { isVerityError } from "../domain/errors.js";
import type { Clock } from "../domain/ports.js";
import { claimDueJob, finishJob, insertJob, renewJobLock, rescheduleJob } from "../store/job-dal.js";
import type { Database, JobRow } from "../store/schema.js";

export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run. */
  readonly attempt: number;
  readonly createdAt: string;
  /** The error the previous attempt ended with, if any. */
  readonly previousError: string | null;
}

/**
 * How a kind of job runs. A handler that throws a retryable VerityError (or any non-Verity
 * error) is retried with jittered exponential backoff until `maxAgeMs`; a non-retryable
 * VerityError ends the job at once. `onGiveUp` runs when a job is abandoned either way.
 */
export interface JobKind {
  readonly handle: (payload: unknown, context: JobContext) => Promise<void>;
  /** Parallel runs of this kind per instance, so one slow upstream never blocks another kind. */
  readonly concurrency: number;
  readonly maxAgeMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly onGiveUp?: (payload: unknown, error: string) => Promise<void>;
  /** Log an error once a job of this kind has been failing for this long (an outage alert). */
  readonly alertAfterMs?: number;
}

export interface JobQueue {
  /** Adds a job inside the caller's transaction; false when its dedupe key is already queued. */
  enqueue(
    db: Kysely<Database>,
    kind: string,
    payload: unknown,
    options?: { dedupeKey?: string; delayMs?: number; ordering?: { key: string; seq: number } },
  ): Promise<boolean>;
  /** Wakes workers now for the jobs enqueued since the last kick (call it after the commit that added them). */
  kick(): void;
  /**
   * Wakes every idle worker to look for due jobs now, whatever was enqueued here: when jobs became
   * due because the clock moved, or were added by another process.
   */
  wakeAll(): void;
  /** Another instance queued a job of this kind: one idle worker of it looks now. */
  wake(kind: string): void;
  start(): void;
  stop(): Promise<void>;
  /** Runs every job that is due now, one at a time, and returns how many ran (for tests and CLIs). */
  drain(): Promise<number>;
}

const DEFAULT_LOCK_MS = 30_000;
const IDLE_POLL_MS = 1000;

export function createJobQueue(deps: {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  kinds: Readonly<Record<string, JobKind>>;
  /**
   * How long a claim lasts without renewal: a running job renews it every third of this, so a
   * job of any length stays its instance's, and a dead instance's job runs again this soon.
   */
  lockMs?: number;
  /** How often an idle kind looks for due jobs without being woken (default 1 s). */
  idlePollMs?: number;
  /**
   * Tells other instances jobs of these kinds were queued, at the kick after their commit
   * (PostgreSQL's NOTIFY, fire and forget). Absent on a single instance.
   */
  announce?: (kinds: readonly string[]) => void;
}): JobQueue {
  const { db, clock, log, kinds } = deps;
  const lockMs = deps.lockMs ?? DEFAULT_LOCK_MS;
  const idlePollMs = deps.idlePollMs ?? IDLE_POLL_MS;
  let running = false;
  const loops: Promise<void>[] = [];
  /**
   * Per kind: the loops asleep, the one idle timer, and how many jobs were enqueued since the last
   * kick. A kick wakes only as many loops of a kind as jobs of that kind were added (a commit that
   * queued nothing wakes nobody), and an idle kind is polled by one loop at a time, once a second,
   * not by each of its loops.
   */
  const idle = new Map<string, { sleepers: (() => void)[]; timer: NodeJS.Timeout | undefined; enqueued: number; kicks: number }>();
  const idleOf = (kind: string) => {
    let state = idle.get(kind);
    if (state === undefined) idle.set(kind, (state = { sleepers: [], timer: undefined, enqueued: 0, kicks: 0 }));
    return state;
  };
  const wake = (kind: string, count: number) => {
    const state = idleOf(kind);
    for (let i = 0; i < count && state.sleepers.length > 0; i += 1) state.sleepers.shift()?.();
    if (state.sleepers.length === 0 && state.timer !== undefined) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
  };
  const sleep = (kind: string) =>
    new Promise<void>((resolve) => {
      const state = idleOf(kind);
      state.sleepers.push(resolve);
      // One poller per idle kind: the timer wakes one sleeper, which arms it again if it finds nothing.
      state.timer ??= setTimeout(() => {
        state.timer = undefined;
        wake(kind, 1);
      }, idlePollMs);
    });

  /** Jobs running in this process: a claim that lapsed (the clock jumped) never starts a second run here. */
  const inFlight = new Set<string>();
  const runOne = async (job: JobRow): Promise<void> => {
    if (inFlight.has(job.id)) return;
    inFlight.add(job.id);
    try {
      await runClaimed(job);
    } finally {
      inFlight.delete(job.id);
    }
  };
  const runClaimed = async (job: JobRow): Promise<void> => {
    const kind = kinds[job.kind];
    const now = () => clock.now().toISOString();
    if (kind === undefined) {
      await finishJob(db, job.id, "dead", now(), `no handler for ${job.kind}`);
      return;
    }
    // The claim is renewed while the job runs, so only a dead instance's job is taken over.
    const renewal = setInterval(() => {
      const now = clock.now();
      renewJobLock(db, job.id, new Date(now.getTime() + lockMs).toISOString()).catch((error: unknown) => log.warn({ err: error, jobId: job.id }, "renewing a job's claim failed"));
    }, Math.max(1000, Math.floor(lockMs / 3)));
    renewal.unref();
    try {
      await kind.handle(JSON.parse(job.payload), {
        jobId: job.id,
        attempt: job.attempts,
        createdAt: job.created_at,
        previousError: job.last_error,
      });
      await finishJob(db, job.id, "done", now(), null);
    } catch (error) {
      const message = error instanceof Error ? error.message.slice(0, 500) : "failed";
      const retryable = !isVerityError(error) || error.retryable;
      const age = clock.now().getTime() - Date.parse(job.created_at);
      if (!retryable || age >= kind.maxAgeMs) {
        log.error({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: error }, "background job abandoned");
        await finishJob(db, job.id, "dead", now(), message);
        await kind.onGiveUp?.(JSON.parse(job.payload), message).catch((e: unknown) => log.error({ err: e }, "give-up handler failed"));
        return;
      }
      const ceiling = Math.min(kind.maxDelayMs, kind.baseDelayMs * 2 ** Math.min(job.attempts - 1, 20));
      const retryAfter = isVerityError(error) && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
      const delay = Math.max(retryAfter, randomInt(Math.floor(ceiling / 2), ceiling + 1));
      if (kind.alertAfterMs !== undefined && age >= kind.alertAfterMs) {
        log.error({ jobId: job.id, kind: job.kind, attempts: job.attempts, ageSeconds: Math.round(age / 1000) }, "background job still failing");
      } else {
        log.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, reason: message }, "background job failed; will retry");
      }
      await rescheduleJob(db, job.id, new Date(clock.now().getTime() + delay).toISOString(), now(), message);
    } finally {
      clearInterval(renewal);
    }
  };

  const claim = (kindNames: readonly string[]) => {
    const now = clock.now();
    return claimDueJob(db, kindNames, now.toISOString(), new Date(now.getTime() + lockMs).toISOString());
  };

  const loop = async (kindName: string) => {
    while (running) {
      // A kick that lands while the claim is in flight must not be lost to the sleep that follows.
      const kicksBefore = idleOf(kindName).kicks;
      const job = await claim([kindName]).catch((error: unknown) => {
        log.error({ err: error }, "claiming a job failed");
        return undefined;
      });
      if (job !== undefined) {
        // There may be more: let a sleeping loop of this kind look too, so a backlog runs in parallel.
        wake(kindName, 1);
        // A database that fails while a job finishes must not end this worker: the job's claim
        // lapses and it runs again.
        await runOne(job).catch((error: unknown) => log.error({ err: error, jobId: job.id, kind: job.kind }, "recording a job's outcome failed"));
        continue;
      }
      if (idleOf(kindName).kicks === kicksBefore) await sleep(kindName);
    }
  };

  return {
    async enqueue(trx, kind, payload, options = {}) {
      const now = clock.now();
      if ((options.delayMs ?? 0) <= 0) idleOf(kind).enqueued += 1;
      return insertJob(trx, {
        id: randomUUID(),
        kind,
        dedupeKey: options.dedupeKey ?? null,
        ordering: options.ordering ?? null,
        payload,
        nextAttemptAt: new Date(now.getTime() + (options.delayMs ?? 0)).toISOString(),
        now: now.toISOString(),
      });
    },
    kick() {
      const queued: string[] = [];
      for (const [kind, state] of idle) {
        if (state.enqueued === 0) continue;
        const count = state.enqueued;
        state.enqueued = 0;
        state.kicks += 1;
        queued.push(kind);
        wake(kind, count);
      }
      if (queued.length > 0) deps.announce?.(queued);
    },
    wake(kind) {
      const state = idleOf(kind);
      state.kicks += 1;
      wake(kind, 1);
    },
    wakeAll() {
      for (const [kind, state] of idle) {
        state.kicks += 1;
        wake(kind, state.sleepers.length);
      }
    },
    start() {
      if (running) return;
      running = true;
      for (const [name, kind] of Object.entries(kinds)) {
        for (let i = 0; i < kind.concurrency; i += 1) loops.push(loop(name));
      }
    },
    async stop() {
      running = false;
      this.wakeAll();
      await Promise.all(loops.splice(0));
    },
    async drain() {
      let ran = 0;
      for (;;) {
        const job = await claim(Object.keys(kinds));
        if (job === undefined) return ran;
        await runOne(job);
        ran += 1;
      }
    },
  };
}
