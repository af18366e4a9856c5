import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { DatabaseHandle } from "../store/connect.js";
import type { Database } from "../store/schema.js";
import { findVerification } from "../store/verification-dal.js";
import type { AuditObserver } from "./audit-service.js";
import type { ChangeBus } from "./change-bus.js";
import type { JobQueue } from "./job-queue.js";

/**
 * Several instances on one PostgreSQL (issue 13): each tells the others, by NOTIFY once the
 * change committed, that a verification changed or a job was queued. A listening instance publishes the changed row to its own event
 * streams and wakes a worker of the job's kind, instead of finding out at its next poll. The
 * payload is `<instance id> <verification id | job kind>`: no person, number or code.
 */
export const VERIFICATION_CHANNEL = "verity_verification_changed";
export const JOB_CHANNEL = "verity_job_queued";

/** This process's name in its notifications, so it ignores its own. */
export const newInstanceId = (): string => randomUUID();

/**
 * Tells other instances which verifications an audit transaction changed, once it committed: one
 * statement on the pool, not inside the transaction. PostgreSQL orders the commits of transactions
 * that NOTIFY behind one lock, outside any transaction of ours here; a notification lost to
 * a crash right after the commit costs the other instance's stream its one-second poll.
 */
export function createChangeAnnouncer(db: Kysely<Database>, instanceId: string, log: Logger): AuditObserver {
  return {
    inTransaction: () => Promise.resolve(),
    afterCommit(events) {
      const ids = [...new Set(events.flatMap((e) => (e.verificationId === null ? [] : [`${instanceId} ${e.verificationId}`])))];
      if (ids.length > 0) notifyAll(db, VERIFICATION_CHANNEL, ids, log);
    },
  };
}

/** Tells other instances jobs of these kinds were queued (JobQueue's announce, at its kick). */
export function jobAnnouncer(db: Kysely<Database>, instanceId: string, log: Logger): (kinds: readonly string[]) => void {
  return (kinds) => notifyAll(db, JOB_CHANNEL, kinds.map((kind) => `${instanceId} ${kind}`), log);
}

function notifyAll(db: Kysely<Database>, channel: string, payloads: readonly string[], log: Logger): void {
  sql`select pg_notify(${channel}, payload) from unnest(${[...payloads]}::text[]) as payload`.execute(db).catch((error: unknown) => log.warn({ err: error, channel }, "telling the other instances failed"));
}

/**
 * Listens for the other instances' notifications; undefined on SQLite (one file, one host: the
 * watchers' poll covers a CLI beside the server). After a lost connection it reconnects and wakes
 * every worker, since notifications sent meanwhile are gone; event streams catch up by their poll.
 */
export async function listenToOtherInstances(deps: {
  readonly database: DatabaseHandle;
  readonly bus: ChangeBus;
  readonly queue: JobQueue;
  readonly instanceId: string;
  readonly log: Logger;
}): Promise<(() => Promise<void>) | undefined> {
  if (deps.database.listen === undefined) return undefined;
  return deps.database.listen(
    [VERIFICATION_CHANNEL, JOB_CHANNEL],
    (channel, payload) => {
      const space = payload.indexOf(" ");
      const from = payload.slice(0, space);
      const value = payload.slice(space + 1);
      if (space < 1 || from === deps.instanceId || value === "") return;
      if (channel === JOB_CHANNEL) {
        deps.queue.wake(value);
        return;
      }
      // Read only what someone here is watching.
      if (!deps.bus.hasSubscribers(value)) return;
      findVerification(deps.database.db, value).then(
        (v) => {
          if (v !== undefined) deps.bus.publish(v);
        },
        (error: unknown) => deps.log.warn({ err: error, verificationId: value }, "reading a verification another instance changed failed"),
      );
    },
    () => {
      deps.log.warn("the database notification connection was re-established; waking every job worker");
      deps.queue.wakeAll();
    },
  );
}
