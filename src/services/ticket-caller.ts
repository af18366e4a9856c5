import { VerityError } from "../domain/errors.js";
import { VERIFYING_ROLES } from "../domain/roles.js";
import { assertRole, type Actor } from "./actor.js";
import type { EngineDeps } from "./engine-deps.js";
import type { TenantRuntime } from "./tenant-registry.js";

/** Who a ticket is for, as its ticketing system says: the query to look them up by, and where. */
export interface TicketCaller {
  readonly tenant: string;
  /** The contact's directory id where the system keeps one, else their email. */
  readonly user: string;
  /** The contact's name in the ticketing system (for the page, never a proof). */
  readonly name: string | null;
  /** The ticketing system (configured name) that said so. */
  readonly system: string;
}

/**
 * The caller a ticket belongs to, read from the ticketing system itself: what a PSA link such as
 * `/verify?system=cw&ticket=1042` opens the verify page with. Only the technician's own tenants
 * that are reached through `system` are considered; the ticket's contact email decides between
 * them as it does for a webhook.
 * @throws VerityError VALIDATION_FAILED (no such system for the actor's tenants), TICKET_NOT_FOUND,
 *   TICKET_NOT_CALLERS (the ticket has no contact with an email), TENANT_NOT_FOUND,
 *   TICKETING_UNAVAILABLE, TICKETING_ERROR or UPSTREAM_AUTH_FAILED
 */
export async function ticketCaller(deps: Pick<EngineDeps, "tenants">, actor: Actor, systemName: string, ticket: string): Promise<TicketCaller> {
  assertRole(actor, ...VERIFYING_ROLES);
  const reached = deps.tenants
    .all()
    .filter((t) => t.ticketing?.systems.has(systemName) === true && (actor.tenants === null || actor.tenants.includes(t.id)));
  const first = reached[0];
  const system = first?.ticketing?.systems.get(systemName);
  if (first === undefined || system === undefined) {
    throw new VerityError("VALIDATION_FAILED", { message: `No client organisation you verify for is reached through a ticketing system named '${systemName.slice(0, 63)}'.` });
  }
  const contact = await system.ticketContact(ticket);
  const email = contact.email?.trim().toLowerCase() ?? null;
  const query = contact.directoryId ?? email;
  if (query === null || query === "") {
    throw new VerityError("TICKET_NOT_CALLERS", {
      message: `Ticket ${ticket} in ${system.vendor} has no contact with an email address, so Verity cannot tell who the caller should be. Search for the caller instead.`,
    });
  }
  const tenant = reached.length === 1 ? first : tenantForEmail(reached, email);
  if (tenant === undefined) {
    throw new VerityError("TENANT_NOT_FOUND", {
      message: `None of your client organisations reached through ${systemName} claims the email domain of ticket ${ticket}'s contact.`,
    });
  }
  return { tenant: tenant.id, user: email ?? query, name: contact.name, system: systemName };
}

function tenantForEmail(tenants: readonly TenantRuntime[], email: string | null): TenantRuntime | undefined {
  const domain = email?.slice(email.lastIndexOf("@") + 1);
  if (domain === undefined || domain === "") return undefined;
  return tenants.find((t) => t.domains.includes(domain)) ?? tenants.find((t) => t.domains.includes("*"));
}
