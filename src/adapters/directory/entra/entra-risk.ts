import type { RiskSignal } from "../../../domain/ports.js";
import { privilegedRoles, roleName } from "./entra-mapping.js";
import type { DirectoryAudit, DirectoryRole } from "./entra-schemas.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Audit activities that register, change or remove a user's security info (their MFA and SSPR
 * methods), from the "Authentication Methods" section of Microsoft's audit-activity reference.
 * Matched case-insensitively; reviews, cancellations and password events are left out.
 */
export const SECURITY_INFO_ACTIVITIES: readonly string[] = [
  "User registered security info",
  "User registered all required security info",
  "User updated security info",
  "User changed default security info",
  "User deleted security info",
  "Admin registered security info",
  "Admin updated security info",
  "Admin deleted security info",
];

const ACTIVITY_SET = new Set(SECURITY_INFO_ACTIVITIES.map((a) => a.toLowerCase()));

/**
 * The directoryAudits query for events that target `objectId` since `since`. The activity names
 * are matched here rather than in `$filter`: Graph documents `eq` and `startswith` for
 * activityDisplayName but not a long `or` chain across them, and a filter Graph refuses would
 * lose the whole signal.
 */
export function directoryAuditsPath(objectId: string, since: Date): string {
  const filter = `activityDateTime ge ${since.toISOString().replace(/\.\d{3}Z$/, "Z")} and targetResources/any(t: t/id eq '${objectId}')`;
  return `/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}&$top=100`;
}

/** `recent_security_info_change` when a security-info change falls inside the window. */
export function securityInfoSignal(audits: readonly DirectoryAudit[], now: Date, windowDays: number): RiskSignal | undefined {
  const since = now.getTime() - windowDays * DAY_MS;
  const changes = audits
    .filter((a) => ACTIVITY_SET.has(a.activityDisplayName.toLowerCase()) && a.result?.toLowerCase() !== "failure")
    .map((a) => ({ activity: a.activityDisplayName, at: Date.parse(a.activityDateTime) }))
    .filter((a) => Number.isFinite(a.at) && a.at >= since)
    .sort((a, b) => b.at - a.at);
  const latest = changes[0];
  if (latest === undefined) return undefined;
  const more = changes.length > 1 ? ` (${changes.length} security-info changes in the last ${windowDays} days)` : "";
  return {
    code: "recent_security_info_change",
    detail: `Entra audit log: "${latest.activity}" ${ago(now.getTime() - latest.at)}${more}. A caller's factors changed recently; be sure the factor is the user's own.`,
  };
}

/** `privileged` naming the privileged directory roles the user holds. */
export function privilegedSignal(roles: readonly DirectoryRole[], privilegedTemplateIds: ReadonlySet<string>): RiskSignal | undefined {
  const held = privilegedRoles(roles, privilegedTemplateIds);
  if (held.length === 0) return undefined;
  return { code: "privileged", detail: `Holds privileged Entra role(s): ${held.map(roleName).join(", ")}.` };
}

/** `account_disabled` when Entra says sign-in is blocked for the account. */
export function disabledSignal(accountEnabled: boolean | null | undefined): RiskSignal | undefined {
  return accountEnabled === false
    ? { code: "account_disabled", detail: "The Entra account is disabled (sign-in is blocked)." }
    : undefined;
}

function ago(ms: number): string {
  const days = Math.floor(Math.max(0, ms) / DAY_MS);
  if (days === 0) return "today";
  return days === 1 ? "1 day ago" : `${days} days ago`;
}
