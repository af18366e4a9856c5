import type { TicketingSystem } from "../../../domain/ports.js";
import { htmlToText } from "../shared/note-text.js";
import type { AutotaskClient } from "./autotask-client.js";
import { notATicket } from "./autotask-errors.js";

/** A Verity note as Autotask's plain-text description (a link on its own line, clear of any full stop). */
export function autotaskNoteText(html: string): string {
  return htmlToText(html);
}

const ticketId = (ticket: string): number => {
  const id = Number(ticket);
  if (!/^\d{1,16}$/.test(ticket) || !Number.isSafeInteger(id) || id <= 0) throw notATicket(ticket);
  return id;
};

/**
 * Autotask as a TicketingSystem: the contact is the ticket's `contactID` read back from Autotask;
 * notes are plain-text ticket notes published to "Internal Project Team", found again by their marker.
 */
export function createAutotaskTicketing(name: string, client: AutotaskClient): TicketingSystem {
  return {
    name,
    vendor: "Autotask",
    async ticketContact(ticket) {
      const { contactID } = await client.getTicket(ticketId(ticket));
      const contact = contactID === null ? null : await client.getContact(contactID);
      return { email: contact?.email ?? null, directoryId: null, name: contact?.name ?? null };
    },
    async addPrivateNote(note) {
      await client.addNote({ ticketId: ticketId(note.ticket), text: autotaskNoteText(note.html) });
    },
    async hasNoteWith(ticket, marker) {
      try {
        return await client.findNote(ticketId(ticket), marker);
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      if (!/^\d{1,12}$/.test(agent)) return null;
      try {
        return (await client.getResource(Number(agent)))?.name ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
