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

/** Who a single-sign-on provider says signed in, already mapped to a Verity role and tenants. */
export interface SsoIdentity {
  readonly provider: string;
  /** Entra: `tid:oid` (stable per person and tenant); otherwise the token's `sub`. */
  readonly subject: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly role: Role;
  /** null: every tenant. */
  readonly tenants: readonly string[] | null;
}

/** The roles that may verify callers (start, check, resend, cancel, look up). */
export const VERIFYING_ROLES: readonly Role[] = ["admin", "technician", "verifier"];
