import { VerityError } from "../../../domain/errors.js";
import type { TicketContact, TicketingSystem } from "../../../domain/ports.js";
import { htmlToText } from "../shared/note-text.js";
import type { SnowClient, SnowTask } from "./servicenow-client.js";
import { TASK_NUMBER } from "./servicenow-client.js";
import type { SnowTable } from "./servicenow-config.js";
import { SYS_ID } from "./servicenow-schemas.js";

/** The default number prefixes (System Definition > Number Maintenance); renamed prefixes still work, with a look in each table. */
const PREFIX: ReadonlyArray<readonly [string, SnowTable]> = [
  ["SCTASK", "sc_task"],
  ["RITM", "sc_req_item"],
  ["INC", "incident"],
];
const MAX_CACHED = 1000;

interface Located {
  readonly table: SnowTable;
  readonly sysId: string;
}

/**
 * The note as plain text (htmlToText). A link ends its line, so no full stop touches the URL:
 * ServiceNow turns URLs in journal entries into links (UNCONFIRMED how it treats trailing
 * punctuation), and a link whose capability ended in "." would not open.
 */
export function workNoteText(html: string): string {
  return htmlToText(html);
}

/**
 * ServiceNow as a TicketingSystem. A ticket is named by its number (INC0010001, SCTASK0010001)
 * or its sys_id, and looked for in the configured tables (the number's usual table first).
 *
 * Notes are plain-text work notes (`htmlToText`): ServiceNow renders HTML in a journal only
 * inside `[code]…[/code]`, which depends on an instance property and would put Verity's markup
 * in front of every agent's browser. Plain text reads the same everywhere and keeps every word,
 * the audit hash and the marker.
 *
 * The contact: an incident's `caller_id`; a catalog task's requested item's `requested_for`
 * (sc_task.request_item → sc_req_item.requested_for, read in two calls rather than by
 * dot-walking); a requested item's `requested_for`. sys_user has no directory object id field
 * Verity relies on, so `directoryId` is null.
 */
export function createSnowTicketing(name: string, client: SnowClient, tables: readonly SnowTable[]): TicketingSystem {
  // A number or sys_id always names the same record, so where it lives is remembered (never who it is for).
  const located = new Map<string, Located>();
  const remember = (ticket: string, where: Located) => {
    if (located.size >= MAX_CACHED) located.delete(located.keys().next().value as string);
    located.set(ticket, where);
  };

  const find = async (ticket: string): Promise<{ table: SnowTable; task: SnowTask }> => {
    const ref = ticket.trim();
    const known = located.get(ref);
    if (known !== undefined) {
      const task = await client.findTask(known.table, { sysId: known.sysId });
      if (task !== null) return { table: known.table, task };
      located.delete(ref);
    }
    const number = ref.toUpperCase();
    const byId = SYS_ID.test(ref);
    if (!byId && !TASK_NUMBER.test(number)) {
      throw new VerityError("TICKET_NOT_FOUND", { message: `'${ref.slice(0, 40)}' is not a ServiceNow task number (such as INC0010001) or sys_id.` });
    }
    const hinted = byId ? undefined : PREFIX.find(([prefix]) => number.startsWith(prefix))?.[1];
    const order = hinted !== undefined && tables.includes(hinted) ? [hinted, ...tables.filter((t) => t !== hinted)] : tables;
    for (const table of order) {
      const task = await client.findTask(table, byId ? { sysId: ref } : { number });
      if (task !== null) {
        remember(ref, { table, sysId: task.sysId });
        return { table, task };
      }
    }
    // Rows a read ACL hides are left out of a list rather than refused, so "none" may also mean "not visible".
    throw new VerityError("TICKET_NOT_FOUND", {
      message: `ServiceNow has no ${order.join(" or ")} record ${ref.slice(0, 40)} that the integration user can see (check its read ACLs and domain if the ticket exists).`,
    });
  };

  const locate = async (ticket: string): Promise<Located> => {
    const known = located.get(ticket.trim());
    if (known !== undefined) return known;
    const { table, task } = await find(ticket);
    return { table, sysId: task.sysId };
  };

  const contactOf = async (table: SnowTable, task: SnowTask): Promise<string | null> => {
    if (table === "incident") return task.callerId;
    if (table === "sc_req_item") return task.requestedFor;
    if (task.requestItem === null) return null;
    return (await client.findTask("sc_req_item", { sysId: task.requestItem }))?.requestedFor ?? null;
  };

  return {
    name,
    vendor: "ServiceNow",
    async ticketContact(ticket): Promise<TicketContact> {
      const { table, task } = await find(ticket);
      const userId = await contactOf(table, task);
      const user = userId === null ? null : await client.findUser({ sysId: userId });
      return { email: user?.email ?? null, directoryId: null, name: user?.name ?? null };
    },
    async addPrivateNote(note) {
      const { table, sysId } = await locate(note.ticket);
      await client.addWorkNote(table, sysId, workNoteText(note.html));
    },
    async hasNoteWith(ticket, marker) {
      try {
        const { sysId } = await locate(ticket);
        return await client.workNotesContain(sysId, marker);
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      try {
        const user = await client.findUser(SYS_ID.test(agent) ? { sysId: agent } : { userName: agent });
        return user?.name ?? user?.userName ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
