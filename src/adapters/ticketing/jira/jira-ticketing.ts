import { VerityError } from "../../../domain/errors.js";
import type { TicketingSystem } from "../../../domain/ports.js";
import { jsmCommentBody } from "./jira-note.js";
import type { JsmClient } from "./jira-client.js";

const VENDOR = "Jira Service Management";
const ISSUE_KEY = /^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,14}$/;
const ISSUE_ID = /^[1-9]\d{0,17}$/;
const ACCOUNT_ID = /^[A-Za-z0-9:_-]{1,128}$/;
const PAGE_SIZE = 50;
/** hasNoteWith reads at most this many pages (1,000 internal comments), then says it cannot tell. */
const MAX_PAGES = 20;

/**
 * A Jira issue reference as Verity keeps it: an issue key (`ITS-42`, upper-cased) or a numeric
 * issue id, or null when it is neither.
 */
export function jiraIssueRef(value: string): string | null {
  const ref = value.trim().toUpperCase();
  return ref.length <= 80 && (ISSUE_KEY.test(ref) || ISSUE_ID.test(ref)) ? ref : null;
}

const requireRef = (ticket: string): string => {
  const ref = jiraIssueRef(ticket);
  if (ref === null) throw new VerityError("TICKET_NOT_FOUND", { message: `'${ticket.slice(0, 20)}' is not a Jira issue key (such as ITS-42) or issue id.` });
  return ref;
};

/**
 * Jira Service Management as a TicketingSystem: the request's reporter is the contact, notes are
 * internal comments (plain text with wiki-markup links, see jsmCommentBody), found again by their
 * marker.
 */
export function createJsmTicketing(name: string, client: JsmClient): TicketingSystem {
  return {
    name,
    vendor: VENDOR,
    async ticketContact(ticket) {
      const { reporter } = await client.getRequest(requireRef(ticket));
      // Profile visibility can withhold emailAddress: then the email is null and the engine refuses, saying so.
      return { email: reporter?.emailAddress ?? null, directoryId: null, name: reporter?.displayName ?? null };
    },
    async addPrivateNote(note) {
      await client.addInternalComment(requireRef(note.ticket), jsmCommentBody(note.html));
    },
    async hasNoteWith(ticket, marker) {
      try {
        const ref = requireRef(ticket);
        let start: number | null = 0;
        for (let page = 0; page < MAX_PAGES && start !== null; page += 1) {
          const found = await client.listInternalComments(ref, start, PAGE_SIZE);
          if (found.comments.some((c) => c.body.includes(marker))) return true;
          start = found.next;
        }
        return start === null ? false : null;
      } catch {
        return null;
      }
    },
    async agentName(agent) {
      if (!ACCOUNT_ID.test(agent)) return null;
      try {
        return (await client.getUser(agent))?.displayName ?? null;
      } catch {
        return null;
      }
    },
    probe: () => client.probe(),
  };
}
