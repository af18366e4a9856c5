import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { signAnchor } from "../domain/audit-anchor.js";
import type { KeyRing } from "../domain/keys.js";
import type { AnchorSink, Clock } from "../domain/ports.js";
import { auditEventHash, readAuditHead } from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";

export interface AuditAnchors {
  /** Starts exporting: at once (without waiting for slow sinks), then every interval on an unref'd timer. */
  start(): void;
  /**
   * Sends the current head to every sink that has not taken it yet. Never rejects: a failing
   * sink is logged and tried again next time. Resolves with how many sinks took it now.
   */
  exportNow(): Promise<{ written: number; failed: number }>;
  /** Stops the timer, exports a last time (if started) and closes the sinks. */
  stop(): Promise<void>;
}

/**
 * Exports the audit chain's head to sinks outside the database (SECURITY.md #41), so that someone
 * who can write the database, and so recompute every hash, still cannot rewrite the log unnoticed.
 * Each sink remembers the last head it took, so an unchanged head is not sent again and a sink
 * that failed gets it at the next tick even when nothing new was logged.
 *
 * Before exporting a new head it checks that the last head it exported is still in the chain
 * with the same hash. If not, the log was rewritten under it: it says so in an error log and
 * exports nothing more, rather than anchoring the rewritten chain.
 */
export function createAuditAnchors(deps: {
  db: Kysely<Database>;
  keys: Pick<KeyRing, "anchor">;
  clock: Clock;
  log: Pick<Logger, "error" | "info" | "warn" | "debug">;
  sinks: readonly AnchorSink[];
  intervalMs: number;
}): AuditAnchors {
  const taken = new Map<AnchorSink, string>();
  const failing = new Set<AnchorSink>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let running: Promise<{ written: number; failed: number }> | undefined;
  let exported: { seq: number; hash: string; at: string } | undefined;

  const once = async (): Promise<{ written: number; failed: number }> => {
    let head;
    try {
      head = await readAuditHead(deps.db);
    } catch (error) {
      deps.log.warn({ error: messageOf(error) }, "could not read the audit head to export an anchor; will retry");
      return { written: 0, failed: deps.sinks.length };
    }
    // An empty log has nothing to anchor.
    if (head.seq === 0) return { written: 0, failed: 0 };
    const key = `${head.seq}:${head.hash}`;
    const due = deps.sinks.filter((sink) => taken.get(sink) !== key);
    if (due.length === 0) return { written: 0, failed: 0 };
    if (exported !== undefined && (exported.seq !== head.seq || exported.hash !== head.hash)) {
      const current = await auditEventHash(deps.db, exported.seq).catch(() => null);
      if (current !== null && current !== exported.hash) {
        deps.log.error(
          { code: "AUDIT_CHAIN_BROKEN", seq: exported.seq, anchoredAt: exported.at },
          `audit event ${exported.seq} ${current === undefined ? "is gone" : "has another hash"} since it was anchored: the log was rewritten; not exporting anchors until it is investigated (verity audit verify)`,
        );
        return { written: 0, failed: due.length };
      }
    }
    const anchor = signAnchor(deps.keys, head, deps.clock.now());
    // Through then(): a sink that throws instead of rejecting is still just a failed sink.
    const results = await Promise.allSettled(due.map((sink) => Promise.resolve().then(() => sink.write(anchor))));
    let failed = 0;
    results.forEach((result, i) => {
      const sink = due[i]!;
      const where = { anchorSink: sink.kind, label: sink.label, seq: head.seq };
      if (result.status === "fulfilled") {
        taken.set(sink, key);
        exported = { seq: anchor.seq, hash: anchor.hash, at: anchor.at };
        if (failing.delete(sink)) deps.log.info(where, "audit anchor sink is taking anchors again");
        else deps.log.debug(where, "audit anchor exported");
        return;
      }
      failed += 1;
      failing.add(sink);
      deps.log.warn({ ...where, error: messageOf(result.reason) }, "could not export the audit anchor; will retry at the next interval");
    });
    return { written: due.length - failed, failed };
  };

  // One export at a time: a call made while one runs waits for it, then reads the head afresh.
  const exportNow = async (): Promise<{ written: number; failed: number }> => {
    while (running !== undefined) await running.catch(() => undefined);
    running = once().finally(() => (running = undefined));
    return running;
  };

  return {
    start() {
      if (started || deps.sinks.length === 0) return;
      started = true;
      deps.log.info(
        { sinks: deps.sinks.map((sink) => `${sink.kind} ${sink.label}`), intervalSeconds: deps.intervalMs / 1000 },
        "exporting audit anchors",
      );
      void exportNow();
      timer = setInterval(() => {
        if (running === undefined) void exportNow();
      }, deps.intervalMs);
      timer.unref();
    },
    exportNow,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (started) await exportNow();
      started = false;
      await Promise.all(deps.sinks.map((sink) => (sink.close === undefined ? Promise.resolve() : sink.close().catch(() => undefined))));
    },
  };
}

/** A sink's error, by message only: an error object's cause or fields could carry a URL or a secret. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
