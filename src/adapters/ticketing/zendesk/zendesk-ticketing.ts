import { VerityError } from "../../../domain/errors.js";
import type { TicketingSystem } from "../../../domain/ports.js";
import type { ZendeskClient } from "./zendesk-client.js";

const ticketId = (ticket: string): number => {
  const id = /^#?\d{1,15}$/.test(ticket.trim()) ? Number(ticket.trim().replace("#", "")) : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new VerityError("TICKET_NOT_FOUND", { message: `'${ticket.slice(0, 20)}' is not a Zendesk ticket number.` });
  return id;
};

/** Zendesk as a TicketingSystem: internal notes (`public: false`), found again among the ticket's comments. */
export function createZendeskTicketing(name: string, client: ZendeskClient): TicketingSystem {
  return {
    name,
    vendor: "Zendesk",
    async ticketContact(ticket) {
      const { requesterId } = await client.getTicket(ticketId(ticket));
      const user = requesterId === null ? null : await client.getUser(requesterId);
      return { email: user?.email ?? null, directoryId: null, name: user?.name ?? null };
    },
    async addPrivateNote(note) {
      await client.addInternalNote(ticketId(note.ticket), note.html);
    },
    async hasNoteWith(ticket, marker) {
      try {
        return await client.commentsContain(ticketId(ticket), marker);
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      if (!/^\d{1,15}$/.test(agent)) return null;
      try {
        return (await client.getUser(Number(agent)))?.name ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
