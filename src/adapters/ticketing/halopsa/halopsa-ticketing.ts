import { VerityError } from "../../../domain/errors.js";
import type { TicketingSystem } from "../../../domain/ports.js";
import type { HaloClient } from "./halopsa-client.js";

const ticketId = (ticket: string): number => {
  const id = Number(ticket);
  if (!/^\d{1,16}$/.test(ticket) || !Number.isSafeInteger(id) || id <= 0) {
    throw new VerityError("TICKET_NOT_FOUND", { message: `'${ticket.slice(0, 20)}' is not a HaloPSA ticket number.` });
  }
  return id;
};

/** HaloPSA as a TicketingSystem: private notes through Actions, found again by their marker. */
export function createHaloTicketing(name: string, client: HaloClient): TicketingSystem {
  return {
    name,
    vendor: "HaloPSA",
    async ticketContact(ticket) {
      const { userId } = await client.getTicket(ticketId(ticket));
      const user = userId === null ? null : await client.getUser(userId);
      return { email: user?.email ?? null, directoryId: user?.azureOid ?? null, name: user?.name ?? null };
    },
    async addPrivateNote(note) {
      await client.addPrivateNote({ ticketId: ticketId(note.ticket), html: note.html });
    },
    async hasNoteWith(ticket, marker) {
      try {
        const actions = await client.listActions(ticketId(ticket));
        return actions.some((a) => a.noteHtml.includes(marker));
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      if (!/^\d{1,12}$/.test(agent)) return null;
      try {
        return (await client.getAgent(Number(agent)))?.name ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
