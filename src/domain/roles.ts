/**
 * Who may do what:
 * - admin: everything, and integrations that name the agent;
 * - technician: start and finish verifications, look callers up, see their own history (or
 *   their tenants', where the configuration allows);
 * - verifier: start and finish verifications and look callers up, but sees no one else's history;
 * - auditor: read verifications and the audit log, change nothing.
 */
export const ROLES = ["admin", "technician", "verifier", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/** The roles that may verify callers (start, check, resend, cancel, look up). */
export const VERIFYING_ROLES: readonly Role[] = ["admin", "technician", "verifier"];
