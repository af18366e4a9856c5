import { VerityError } from "../../../domain/errors.js";
import type { TicketContact, TicketingSystem } from "../../../domain/ports.js";
import type { FreshserviceClient, FreshservicePerson } from "./freshservice-client.js";

/**
 * A Freshservice ticket reference as people and placeholders write it: `42`, `#42`, `INC-42`,
 * `#SR-42` (the display prefix is UNCONFIRMED for `{{ticket.id}}`). Null when it is none of these.
 */
export function freshserviceTicketNumber(reference: string): number | null {
  const digits = /^#?(?:[A-Za-z]{2,8}-)?(\d{1,15})$/.exec(reference.trim())?.[1];
  const id = digits === undefined ? Number.NaN : Number(digits);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

const ticketId = (ticket: string): number => {
  const id = freshserviceTicketNumber(ticket);
  if (id === null) throw new VerityError("TICKET_NOT_FOUND", { message: `'${ticket.slice(0, 20)}' is not a Freshservice ticket number.` });
  return id;
};

const contactOf = (p: FreshservicePerson | null): TicketContact => ({ email: p?.email ?? null, directoryId: null, name: p?.name ?? null });

/** Freshservice as a TicketingSystem: private notes on the ticket, found again in its conversations. */
export function createFreshserviceTicketing(name: string, client: FreshserviceClient): TicketingSystem {
  return {
    name,
    vendor: "Freshservice",
    async ticketContact(ticket) {
      const read = await client.getTicket(ticketId(ticket));
      if (read.requester?.email != null || read.requesterId === null) return contactOf(read.requester);
      // `include=requester` normally embeds the email; otherwise ask for the requester, and for an
      // agent who raised the ticket themselves (agents are not requesters in the API).
      const requester = (await client.getRequester(read.requesterId)) ?? (await client.getAgent(read.requesterId));
      return contactOf(requester ?? read.requester);
    },
    async addPrivateNote(note) {
      await client.addPrivateNote(ticketId(note.ticket), note.html);
    },
    async hasNoteWith(ticket, marker) {
      try {
        return await client.conversationsContain(ticketId(ticket), marker);
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      if (!/^\d{1,15}$/.test(agent)) return null;
      try {
        return (await client.getAgent(Number(agent)))?.name ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
