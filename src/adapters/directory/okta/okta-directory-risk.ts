import type { RiskSignal } from "../../../domain/ports.js";
import { heldRoles, roleName } from "./okta-directory-mapping.js";
import type { OktaDirectoryFactor, OktaRole } from "./okta-directory-schemas.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Okta statuses in which the account cannot sign in at all. */
const DISABLED = new Set(["SUSPENDED", "DEPROVISIONED"]);
const STATUS_WORDS: Readonly<Record<string, string>> = {
  LOCKED_OUT: "locked out (too many failed sign-ins)",
  PASSWORD_EXPIRED: "waiting for a password change (expired)",
  RECOVERY: "in password recovery (a reset was started)",
  STAGED: "staged (never activated)",
  PROVISIONED: "provisioned but not yet activated by the user",
};

/**
 * `account_disabled` for a SUSPENDED or DEPROVISIONED user (the same code as Entra's, so one
 * policy rule covers both); `account_status` for any other status but ACTIVE, naming it. A
 * locked-out caller is the help desk's everyday case, so that is a signal, never a refusal here.
 */
export function statusSignal(status: string | undefined): RiskSignal | undefined {
  if (status === undefined || status === "ACTIVE") return undefined;
  if (DISABLED.has(status)) return { code: "account_disabled", detail: `The Okta account is ${status.toLowerCase()} (sign-in is blocked).` };
  return { code: "account_status", detail: `The Okta account is ${STATUS_WORDS[status] ?? status.toLowerCase()}.` };
}

/** `privileged` naming the Okta admin roles the user holds. */
export function privilegedSignal(roles: readonly OktaRole[]): RiskSignal | undefined {
  const held = heldRoles(roles);
  if (held.length === 0) return undefined;
  return { code: "privileged", detail: `Holds Okta admin role(s): ${held.map(roleName).join(", ")}.` };
}

/**
 * `recent_security_info_change` when a factor was enrolled or changed (its `created` or
 * `lastUpdated`) inside the window. Okta keeps no date for factors already removed, so a removal
 * shows only through the System Log, which Verity does not read.
 */
export function recentFactorSignal(factors: readonly OktaDirectoryFactor[], now: Date, windowDays: number): RiskSignal | undefined {
  if (windowDays === 0) return undefined;
  const since = now.getTime() - windowDays * DAY_MS;
  const changed = factors
    .map((f) => ({ factor: f, at: Math.max(time(f.created), time(f.lastUpdated)) }))
    .filter((c) => Number.isFinite(c.at) && c.at >= since)
    .sort((a, b) => b.at - a.at);
  const latest = changed[0];
  if (latest === undefined) return undefined;
  const more = changed.length > 1 ? ` (${changed.length} factors changed in the last ${windowDays} days)` : "";
  return {
    code: "recent_security_info_change",
    detail: `Okta: a ${latest.factor.factorType} factor was enrolled or changed ${ago(now.getTime() - latest.at)}${more}. Be sure the factor is the user's own.`,
  };
}

/** `recent_password_change` when Okta's `passwordChanged` falls inside the window. */
export function recentPasswordSignal(passwordChanged: string | null | undefined, now: Date, windowDays: number): RiskSignal | undefined {
  const at = time(passwordChanged);
  if (windowDays === 0 || !Number.isFinite(at) || at < now.getTime() - windowDays * DAY_MS) return undefined;
  return { code: "recent_password_change", detail: `Okta: the password was changed ${ago(now.getTime() - at)}.` };
}

function time(value: string | null | undefined): number {
  return value === undefined || value === null ? Number.NaN : Date.parse(value);
}

function ago(ms: number): string {
  const days = Math.floor(Math.max(0, ms) / DAY_MS);
  if (days === 0) return "today";
  return days === 1 ? "1 day ago" : `${days} days ago`;
}
