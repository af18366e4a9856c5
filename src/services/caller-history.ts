import type { Clock, RiskSignal } from "../domain/ports.js";
import { listRecentForSubject } from "../store/verification-dal.js";
import type { EngineDeps } from "./engine-deps.js";

/** How far back a caller's own history counts. */
export const HISTORY_WINDOW_MS = 24 * 60 * 60_000;
/** This many earlier verifications of one account in the window make the next one a pattern. */
export const REPEAT_THRESHOLD = 3;
/** The signal of a caller flagged for fraud: a new verification needs an administrator's override. */
export const RECENT_FRAUD_REPORT = "recent_fraud_report";

/**
 * Risk signals from the caller's own recent history in Verity (SECURITY.md A4 #21): the Clorox
 * attacker called the desk again and again, claiming their MFA was not working.
 * - `recent_fraud_report`: the caller reported a verification of this account as fraud in the
 *   last 24 hours (a push answered as fraud, "not me" on a link): the caller is flagged, and a new
 *   verification needs an administrator's override;
 * - `recent_failed_verification`: a verification of this account was rejected (denied, or too
 *   many wrong codes) in the last 24 hours;
 * - `repeated_verifications`: three or more verifications of this account in the last 24 hours.
 * They go to the tenant's policy like any other signal (its `default` action unless a rule says
 * otherwise), and to the ticket's note.
 */
export async function callerHistorySignals(deps: Pick<EngineDeps, "db"> & { clock: Clock }, subject: { tenantId: string; subjectId: string }): Promise<RiskSignal[]> {
  const now = deps.clock.now().getTime();
  const recent = await listRecentForSubject(deps.db, { ...subject, since: new Date(now - HISTORY_WINDOW_MS).toISOString() });
  const ago = (iso: string) => {
    const hours = Math.floor((now - Date.parse(iso)) / 3_600_000);
    return hours < 1 ? "less than an hour ago" : hours === 1 ? "1 hour ago" : `${hours} hours ago`;
  };
  const signals: RiskSignal[] = [];
  const fraud = recent.find((v) => v.state === "rejected" && v.stateReason === "fraud");
  if (fraud !== undefined) {
    signals.push({ code: RECENT_FRAUD_REPORT, detail: `The caller reported a verification of this account as fraud ${ago(fraud.createdAt)}.` });
  }
  const rejected = recent.find((v) => v.state === "rejected" && v.stateReason !== "fraud");
  if (rejected !== undefined) {
    const why = rejected.stateReason === "too_many_attempts" ? "too many wrong codes" : rejected.stateReason === "denied" ? "the push was denied" : "rejected";
    signals.push({ code: "recent_failed_verification", detail: `A verification of this account failed ${ago(rejected.createdAt)} (${why}).` });
  }
  if (recent.length >= REPEAT_THRESHOLD) {
    signals.push({ code: "repeated_verifications", detail: `This is verification number ${recent.length + 1} of this account in 24 hours.` });
  }
  return signals;
}
