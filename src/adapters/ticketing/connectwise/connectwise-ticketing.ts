import { VerityError } from "../../../domain/errors.js";
import type { TicketingSystem } from "../../../domain/ports.js";
import { htmlToText } from "../shared/note-text.js";
import type { ConnectWiseClient } from "./connectwise-client.js";

const ticketId = (ticket: string): number => {
  const id = Number(ticket);
  if (!/^\d{1,16}$/.test(ticket) || !Number.isSafeInteger(id) || id <= 0) {
    throw new VerityError("TICKET_NOT_FOUND", { message: `'${ticket.slice(0, 20)}' is not a ConnectWise ticket number.` });
  }
  return id;
};

/** A note's plain text (htmlToText: a link ends its line, so no full stop touches the URL). */
export function noteText(html: string): string {
  return htmlToText(html);
}

/**
 * ConnectWise PSA as a TicketingSystem: the ticket's contact (its email from the ticket, else from
 * the contact's communication items), internal notes as plain text, found again by their marker.
 */
export function createConnectWiseTicketing(name: string, client: ConnectWiseClient): TicketingSystem {
  return {
    name,
    vendor: "ConnectWise PSA",
    async ticketContact(ticket) {
      const found = await client.getTicket(ticketId(ticket));
      if (found.contactEmail !== null || found.contactId === null) {
        return { email: found.contactEmail, directoryId: null, name: found.contactName };
      }
      const contact = await client.getContact(found.contactId);
      return { email: contact?.email ?? null, directoryId: null, name: found.contactName ?? contact?.name ?? null };
    },
    async addPrivateNote(note) {
      await client.addInternalNote(ticketId(note.ticket), noteText(note.html));
    },
    async hasNoteWith(ticket, marker) {
      try {
        const notes = await client.listNotes(ticketId(ticket));
        return notes.some((n) => n.text.includes(marker));
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      try {
        const member = /^\d{1,12}$/.test(agent) ? await client.getMember(Number(agent)) : await client.findMember(agent);
        return member?.name ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
