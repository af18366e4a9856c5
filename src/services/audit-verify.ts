import type { Kysely } from "kysely";
import type { KeyRing } from "../domain/keys.js";
import type { Database } from "../store/schema.js";
import { readAnchorFiles, type AnchorLineProblem } from "./anchor-files.js";
import { verifyAuditChain, type AnchorPoint, type AnchorVerdict, type ChainReport } from "./audit-service.js";

/** The anchor that decided a check: from an anchor file, or given by the person checking. */
export interface AnchorUsed {
  readonly seq: number;
  readonly hash: string;
  /** When it was exported; null for an anchor given by hand. */
  readonly at: string | null;
  /** The file it came from, or `--anchor`. */
  readonly source: string;
  readonly verdict: AnchorVerdict;
}

/** A chain check against its anchors; `ok` only if the chain, every anchor and every anchor line verify. */
export interface AnchoredChainReport extends ChainReport {
  /** The first anchor the chain fails, else the newest; null when there is none. */
  readonly anchor: AnchorUsed | null;
  /** How many distinct anchors were compared with the chain. */
  readonly anchorsChecked: number;
  /** The configured anchor files (empty: no file sink, so nothing outside the database was read). */
  readonly anchorFiles: readonly string[];
  readonly anchorLines: readonly AnchorLineProblem[];
}

export interface AuditVerifier {
  /**
   * Checks the whole chain against `given`, else against every anchor in the configured anchor
   * files. A forged anchor line fails the check even when the chain verifies: someone has been
   * writing where the anchors are kept.
   */
  verify(given?: AnchorPoint): Promise<AnchoredChainReport>;
}

export function createAuditVerifier(deps: { db: Kysely<Database>; keys: Pick<KeyRing, "anchor">; anchorFiles: readonly string[] }): AuditVerifier {
  return {
    async verify(given) {
      const files = await readAnchorFiles(deps.keys, deps.anchorFiles);
      const anchors: (AnchorPoint & { at: string | null; source: string })[] =
        given === undefined ? [...files.anchors] : [{ ...given, at: null, source: "--anchor" }];
      const { anchor: outcome, ...report } = await verifyAuditChain(deps.db, anchors);
      const used = outcome === null ? undefined : anchors.find((a) => a.seq === outcome.seq && a.hash === outcome.hash);
      return {
        ...report,
        ok: report.ok && !files.problems.some((p) => p.problem === "forged"),
        anchor: outcome === null || used === undefined ? null : { seq: used.seq, hash: used.hash, at: used.at, source: used.source, verdict: outcome.verdict },
        anchorsChecked: anchors.length,
        anchorFiles: deps.anchorFiles,
        anchorLines: files.problems,
      };
    },
  };
}
