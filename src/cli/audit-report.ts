import type { AnchorVerdict } from "../services/audit-service.js";
import type { AnchoredChainReport } from "../services/audit-verify.js";

const VERDICTS: Record<AnchorVerdict, string> = {
  matches: "matches",
  differs: "does NOT match: the log was rewritten after the anchor was exported",
  missing: "is NOT in the log: events were removed from its end and its head rewritten",
  unchecked: "not reached: the chain breaks before it",
};

/** What `verity audit verify` prints for a report, local or from a server. */
export function describeChainReport(report: AnchoredChainReport): string[] {
  const out: string[] = [];
  const problem = report.problem;
  if (problem !== null) {
    out.push(`Audit chain BROKEN at event ${problem.seq}${problem.id === null ? "" : ` (${problem.id})`}: ${problem.problem}.`);
    const verdict = report.anchor?.verdict;
    out.push(
      verdict === "differs"
        ? `Every event links to the one before it, so an event at or before ${problem.seq} was changed and every hash after it recomputed: none of events 1-${problem.seq} can be trusted.`
        : verdict === "missing"
          ? `Events 1-${report.count} verify, but ${report.count + 1 === problem.seq ? `event ${problem.seq} was` : `at least events ${report.count + 1}-${problem.seq} were`} removed.`
          : `Events 1-${report.count} verify; nothing from event ${problem.seq} on can be trusted.`,
    );
  } else {
    out.push(`Audit chain ${report.ok ? "OK" : "verifies on its own"}: ${report.count} events.`);
    out.push(`Head: ${report.head.seq}:${report.head.hash}`);
  }
  const anchor = report.anchor;
  if (anchor !== null) {
    const origin = anchor.at === null ? `given with ${anchor.source}` : `written ${anchor.at} in ${anchor.source}`;
    const others = report.anchorsChecked - 1;
    const also = anchor.verdict === "matches" && others > 0 ? ` (and ${others} earlier anchor${others === 1 ? "" : "s"} match too)` : "";
    out.push(`Anchor: event ${anchor.seq} ${origin}: ${VERDICTS[anchor.verdict]}${also}.`);
  } else if (report.anchorFiles.length === 0) {
    out.push("Anchor: none checked, because no file sink is configured (audit.anchor.sinks): a rewrite of the whole chain would go unnoticed.");
    out.push("Check against an anchor from your webhook or syslog receiver with --anchor SEQ:HASH.");
  } else {
    const files = report.anchorFiles.join(", ");
    out.push(
      report.anchorLines.some((l) => l.problem === "forged")
        ? `Anchor: no valid anchor in ${files}, so a rewrite of the whole chain would go unnoticed.`
        : `Anchor: none yet in ${files}: until the server exports one, a rewrite of the whole chain would go unnoticed.`,
    );
  }
  for (const bad of report.anchorLines) {
    out.push(
      bad.problem === "forged"
        ? `Anchor FORGED in ${bad.source} line ${bad.line}: its MAC does not verify (edited, written by someone without Verity's key, or under another security.hashKey).`
        : `Note: ${bad.source} line ${bad.line} is not an anchor (a write cut short?); ignored.`,
    );
  }
  return out;
}
