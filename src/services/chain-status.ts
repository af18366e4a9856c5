import type { Logger } from "pino";
import type { Clock } from "../domain/ports.js";
import type { AnchoredChainReport, AuditVerifier } from "./audit-verify.js";

/** The last check of the whole audit chain, and when it started. */
export interface ChainVerdict {
  readonly report: AnchoredChainReport;
  readonly checkedAt: string;
}

export interface ChainStatusNow {
  /** The newest finished check; null before the first has finished. */
  readonly verdict: ChainVerdict | null;
  /** A check is running (its result goes to the next page view). */
  readonly checking: boolean;
  /** Why the last check could not run, when it could not. */
  readonly failure: string | null;
}

export interface ChainStatus {
  /**
   * Whether the audit chain verifies, for pages: the newest verdict, fetched from a check running
   * in the background. A check starts when the verdict is older than `maxAgeMs`, or does not yet
   * reach event `coverSeq` (at most one every `minIntervalMs`); the caller waits for it at most
   * `waitMs`, so a long chain never makes a page slow.
   */
  current(coverSeq?: number): Promise<ChainStatusNow>;
}

export function createChainStatus(
  deps: { verifier: Pick<AuditVerifier, "verify">; clock: Clock; log: Pick<Logger, "warn"> },
  options: { maxAgeMs?: number; minIntervalMs?: number; waitMs?: number } = {},
): ChainStatus {
  const { maxAgeMs = 60_000, minIntervalMs = 5_000, waitMs = 40 } = options;
  let verdict: ChainVerdict | null = null;
  let failure: string | null = null;
  let running: Promise<void> | null = null;
  let startedAt = Number.NEGATIVE_INFINITY;

  // One check at a time, whoever asks; a page never waits on more than the one in progress.
  const start = (): Promise<void> => {
    const at = deps.clock.now();
    startedAt = at.getTime();
    running = deps.verifier
      .verify()
      .then(
        (report) => {
          verdict = { report, checkedAt: at.toISOString() };
          failure = null;
        },
        (error: unknown) => {
          failure = error instanceof Error ? error.message : "the check failed";
          deps.log.warn({ err: error }, "audit chain check for the web app failed");
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  };

  return {
    async current(coverSeq) {
      const now = deps.clock.now().getTime();
      const stale = verdict === null || now - Date.parse(verdict.checkedAt) >= maxAgeMs;
      const behind = verdict !== null && coverSeq !== undefined && verdict.report.head.seq < coverSeq;
      const wanted = stale || behind;
      if (wanted && running === null && now - startedAt >= minIntervalMs) void start();
      const inProgress = running;
      if (wanted && inProgress !== null) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([inProgress, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
        clearTimeout(timer);
      }
      return { verdict, checking: running !== null, failure };
    },
  };
}
