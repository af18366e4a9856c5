import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { signAnchor } from "../domain/audit-anchor.js";
import type { KeyRing } from "../domain/keys.js";
import { isVerityError } from "../domain/errors.js";
import type { AnchorSink, Clock, ProbeResult } from "../domain/ports.js";
import { auditEventHash, readAuditHead, type AuditHead } from "../store/audit-dal.js";
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
  /** The configured sinks, in order. */
  readonly sinks: readonly AnchorSink[];
  /**
   * A connection test of one sink: sends it the current head's anchor now, as the timer would (a
   * sink takes the same anchor twice harmlessly). Never rejects; says what the sink did.
   */
  probe(sink: AnchorSink): Promise<ProbeResult>;
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

  // What happened to the last exported event when the log no longer holds it as exported; null when it does.
  const rewritten = async (head: AuditHead): Promise<"is gone" | "has another hash" | null> => {
    if (exported === undefined || (exported.seq === head.seq && exported.hash === head.hash)) return null;
    const current = await auditEventHash(deps.db, exported.seq).catch(() => null);
    if (current === null || current === exported.hash) return null;
    return current === undefined ? "is gone" : "has another hash";
  };

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
    const broken = await rewritten(head);
    if (broken !== null && exported !== undefined) {
      deps.log.error(
        { code: "AUDIT_CHAIN_BROKEN", seq: exported.seq, anchoredAt: exported.at },
        `audit event ${exported.seq} ${broken} since it was anchored: the log was rewritten; not exporting anchors until it is investigated (verity audit verify)`,
      );
      return { written: 0, failed: due.length };
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
    sinks: deps.sinks,
    async probe(sink) {
      while (running !== undefined) await running.catch(() => undefined);
      const where = `The ${sink.kind} sink ${sink.label}`;
      try {
        const head = await readAuditHead(deps.db);
        if (head.seq === 0) return { ok: false, detail: "The audit log is empty, so there is no anchor to send yet. Try again once something has been logged." };
        const broken = await rewritten(head);
        if (broken !== null) {
          return { ok: false, detail: `No anchor was sent: an audit event ${broken} since it was anchored, so the log was rewritten. Run verity audit verify.` };
        }
        const anchor = signAnchor(deps.keys, head, deps.clock.now());
        await Promise.resolve().then(() => sink.write(anchor));
        taken.set(sink, `${head.seq}:${head.hash}`);
        exported = { seq: anchor.seq, hash: anchor.hash, at: anchor.at };
        if (failing.delete(sink)) deps.log.info({ anchorSink: sink.kind, label: sink.label, seq: head.seq }, "audit anchor sink is taking anchors again");
        // A datagram that left says nothing of its arrival: only the collector can tell.
        const udp = sink.kind === "syslog" && sink.label.startsWith("udp://") ? " Over UDP that only means it left: check that the collector logged it." : "";
        return { ok: true, detail: `${where} took the anchor of audit event ${head.seq}, the current head.${udp}` };
      } catch (error) {
        // Sinks throw registered errors or system errors (a file's EACCES); only a code is safe to repeat.
        const reason = isVerityError(error) ? error.message : `${where} did not take the anchor (${codeOf(error)}).`;
        return { ok: false, detail: `${reason}${codeOf(error) === "EACCES" ? " Check that Verity may write there." : ""}` };
      }
    },
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

function codeOf(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return error instanceof Error ? error.name : "unknown error";
}
