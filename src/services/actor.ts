import { VerityError } from "../domain/errors.js";
import type { Verification } from "../domain/verification.js";
import type { Role } from "../store/token-dal.js";

/** Who is asking: an API token, a local CLI user, or an integration. */
export interface Actor {
  /** Stable and recorded in the audit log: `token:<id>`, `cli:<os user>`, `system`. */
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Tenants the actor may touch; null means all. */
  readonly tenants: readonly string[] | null;
}

export const SYSTEM_ACTOR: Actor = { id: "system", name: "Verity", role: "admin", tenants: null };

export function assertTenantAccess(actor: Actor, tenantId: string): void {
  if (actor.tenants !== null && !actor.tenants.includes(tenantId)) {
    throw new VerityError("FORBIDDEN", { message: "This token may not act for that tenant." });
  }
}

/**
 * Who started it: a person (an API token, the CLI, a page link, a web user) or, without one of
 * these prefixes, an integration (a PSA button). History's queries test the same prefixes.
 */
export const PERSON_ACTOR_PREFIXES = ["token:", "cli:", "link:", "user:"] as const;
const isPersonActor = (id: string) => PERSON_ACTOR_PREFIXES.some((p) => id.startsWith(p));

/**
 * Technicians see and act on their own verifications, and on those an integration started in
 * their tenants (a PSA button press belongs to the desk, not to one token); admins on all;
 * auditors only read.
 */
export function assertCanRead(actor: Actor, v: Verification): void {
  assertTenantAccess(actor, v.tenantId);
  if ((actor.role === "technician" || actor.role === "verifier") && v.createdBy !== actor.id && isPersonActor(v.createdBy)) {
    throw new VerityError("FORBIDDEN", { message: "This verification was started by someone else." });
  }
}

export function assertCanAct(actor: Actor, v: Verification): void {
  if (actor.role === "auditor") throw new VerityError("FORBIDDEN", { message: "Auditors can read but not act." });
  assertCanRead(actor, v);
}

export function assertRole(actor: Actor, ...roles: Role[]): void {
  if (!roles.includes(actor.role)) {
    throw new VerityError("FORBIDDEN", { message: `This needs the ${roles.join(" or ")} role.` });
  }
}
