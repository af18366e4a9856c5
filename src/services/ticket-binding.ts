import { isVerityError, VerityError } from "../domain/errors.js";
import type { Directory, DirectoryUser, TicketContact } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";
import { confirmTicket, findLatestForTicket, findVerification } from "../store/verification-dal.js";
import { eventBase } from "./engine-deps.js";
import type { EngineDeps } from "./engine-deps.js";
import type { TenantRuntime } from "./tenant-registry.js";

/**
 * Evidence lands only on tickets the ticketing system itself says are the caller's (issue 9 #3):
 * a ticket number typed into the API, or named by a webhook, proves nothing on its own.
 */

/** State reason of a verification held until the ticketing system answers (it sends nothing before). */
export const WAITING_FOR_TICKETING = "waiting_for_ticketing";

export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** A promise turned into its outcome; observed at once, so a rejection never goes unhandled while other reads run. */
export const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** Whether a failed ticket read is the ticketing system being away (worth waiting for), not an answer. */
export const isTicketingOutage = (error: unknown): error is VerityError => isVerityError(error) && error.retryable;

/**
 * Whether the ticket's contact is this directory user: the same directory id, or an email that is
 * their UPN or mail; failing those, the directory says who the contact's email belongs to (a proxy
 * address, say).
 */
export async function contactIsUser(directory: Pick<Directory, "findUser">, contact: TicketContact, user: DirectoryUser): Promise<boolean> {
  // An Entra user's id is `<tenant id>:<object id>`; a PSA keeps the object id alone.
  const id = contact.directoryId?.toLowerCase();
  if (id !== undefined && id !== "" && [user.id.toLowerCase(), user.id.toLowerCase().split(":").at(-1)].includes(id)) return true;
  const email = contact.email?.trim().toLowerCase();
  if (email === undefined || email === "") return false;
  if ([user.upn, user.mail].some((address) => address?.toLowerCase() === email)) return true;
  const owner = await directory.findUser(email).catch(() => null);
  return owner !== null && owner.id === user.id;
}

/**
 * Refuses a ticket whose contact is not the caller being verified.
 * @throws VerityError TICKET_NOT_CALLERS
 */
export async function assertTicketIsCallers(
  tenant: TenantRuntime,
  where: { readonly ticket: string; readonly system: string },
  contact: TicketContact,
  user: DirectoryUser,
): Promise<void> {
  if (await contactIsUser(tenant.directory, contact, user)) return;
  const { ticket, system } = where;
  throw new VerityError("TICKET_NOT_CALLERS", {
    message:
      contact.email === null && contact.directoryId === null
        ? `Ticket ${ticket} in ${system} has no contact with an email address, so it cannot be shown to be ${user.displayName}'s; nothing was sent, and no evidence of this caller goes to that ticket.`
        : `Ticket ${ticket} in ${system} is for another person, not ${user.displayName}; nothing was sent, and no evidence of this caller goes to that ticket. Verify on the caller's own ticket, or without a ticket.`,
  });
}

/**
 * The verification a PSA action on a ticket refers to: the newest one of the ticket's own contact
 * on that ticket, started for this ticketing system (so a confirm can reach no other caller's).
 * @throws VERIFICATION_NOT_FOUND
 */
export async function findTicketVerification(
  deps: Pick<EngineDeps, "db">,
  tenant: TenantRuntime,
  query: { system: string; ticket: string; contact: TicketContact },
): Promise<Verification> {
  const notFound = () =>
    new VerityError("VERIFICATION_NOT_FOUND", {
      message: `No verification of ticket ${query.ticket}'s own contact was started on that ticket through ${query.system}.`,
    });
  const email = query.contact.email;
  const user =
    (query.contact.directoryId === null ? null : await tenant.directory.findUser(query.contact.directoryId).catch(() => null)) ??
    (email === null ? null : await tenant.directory.findUser(email));
  if (user === null || !(await contactIsUser(tenant.directory, query.contact, user))) throw notFound();
  const v = await findLatestForTicket(deps.db, { tenantId: tenant.id, system: query.system, ticket: query.ticket, subjectId: user.id });
  if (v === undefined) throw notFound();
  return v;
}

/**
 * Confirms, before its first note is posted, the ticket of a verification started while the
 * ticketing system could not answer. Once confirmed, the verification's notes go to that system;
 * a ticket that turns out to be someone else's (or unknown) gets none, and that is audited.
 * @returns whether notes may be posted to the ticket
 * @throws the ticketing system's outage (retryable), so the note job tries again later
 */
export async function confirmTicketLater(deps: Pick<EngineDeps, "db" | "tenants" | "audit" | "clock">, verificationId: string): Promise<boolean> {
  const v = await findVerification(deps.db, verificationId);
  if (v === undefined || v.ticket === null || v.ticketSystem === null) return false;
  if (v.ticketConfirmedAt !== null) return true;
  const tenant = deps.tenants.get(v.tenantId);
  const systemName = v.ticketSystem;
  const system = tenant?.ticketing?.systems.get(systemName);
  if (tenant === undefined || system === undefined) return false;
  let ok: boolean;
  try {
    const contact = await system.ticketContact(v.ticket);
    const user = await tenant.directory.findUser(v.subjectId);
    ok = user !== null && (await contactIsUser(tenant.directory, contact, user));
  } catch (error) {
    if (isTicketingOutage(error)) throw error;
    ok = false;
  }
  await deps.audit.transaction(async (trx, record) => {
    if (ok && (await confirmTicket(trx, v.id, deps.clock.now().toISOString()))) {
      record({ ...eventBase(v, "system"), action: "ticket.confirmed", outcome: "confirmed", data: { system: systemName } });
    }
    if (!ok) {
      record({
        ...eventBase(v, "system"),
        action: "ticket.not_callers",
        outcome: "refused",
        reason: `${systemName} does not confirm ticket ${v.ticket} is ${v.subjectName}'s; no note was posted to it`,
      });
    }
  });
  return ok;
}
