import type { Logger } from "pino";
import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import type { OutboundClientOptions } from "../../http/outbound.js";
import { createOutboundClient } from "../../http/outbound.js";
import { readJson } from "../../http/json.js";
import { createJsonApi } from "../shared/json-api.js";
import { probeWith } from "../../shared/probe.js";
import type { ConnectWiseConfig } from "./connectwise-config.js";
import type { CwOperation } from "./connectwise-errors.js";
import { cwApiError, cwTransportError, cwUnreadable } from "./connectwise-errors.js";
import type { CwContact, CwMember, CwNote, CwTicket } from "./connectwise-schemas.js";
import { cwContactSchema, cwMemberSchema, cwNoteSchema, cwTicketSchema, parseEach } from "./connectwise-schemas.js";

export type { CwContact, CwMember, CwNote, CwTicket } from "./connectwise-schemas.js";

/** ConnectWise notes are plain text; longer ones are refused before they are sent. */
const MAX_NOTE_TEXT = 60_000;
/** `GET …/notes` pages Verity reads at most (NOTES_PAGE_SIZE each) before giving up. */
const MAX_NOTE_PAGES = 20;
export const NOTES_PAGE_SIZE = 100;

/** The ConnectWise PSA (Manage) calls Verity makes, as the API member. */
export interface ConnectWiseClient {
  /**
   * `GET /service/tickets/{id}`: the ticket's contact reference and email.
   * @throws VerityError TICKET_NOT_FOUND, UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE.
   */
  getTicket(id: number): Promise<CwTicket>;
  /** `GET /company/contacts/{id}`; null when ConnectWise has no such contact. */
  getContact(id: number): Promise<CwContact | null>;
  /** `GET /system/members/{id}`; null when there is no such member. */
  getMember(id: number): Promise<CwMember | null>;
  /** `GET /system/members?conditions=identifier="…"`; null when no member has that identifier. */
  findMember(identifier: string): Promise<CwMember | null>;
  /**
   * `POST /service/tickets/{id}/notes` with `internalAnalysisFlag: true` and the other flags
   * false: an internal note the contact cannot see. Never repeated once it may have arrived;
   * `details.ambiguous` on the error says whether the note may exist anyway.
   */
  addInternalNote(ticketId: number, text: string): Promise<{ noteId: number | null }>;
  /** `GET /service/tickets/{id}/notes`, page by page (`page`, `pageSize`) until a short page. */
  listNotes(ticketId: number): Promise<CwNote[]>;
  /** A connection test: one page of one ticket. Writes nothing; never rejects. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface ConnectWiseClientDeps {
  readonly log: Pick<Logger, "warn" | "debug">;
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
  /** Milliseconds since the epoch, for the circuit breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}

const list = z.array(z.unknown()).max(1000);
const created = z.object({ id: z.number().int().positive().safe() });

/**
 * Creates the ConnectWise client: Basic `companyId+publicKey:privateKey` plus the `clientId`
 * header on every call, bounded retries (Retry-After honoured) for reads, one attempt for notes.
 *
 * @example
 * ```ts
 * const cw = createConnectWiseClient(connectwiseConfigSchema.parse(raw), { log });
 * const ticket = await cw.getTicket(4242);
 * ```
 */
export function createConnectWiseClient(config: ConnectWiseConfig, deps: ConnectWiseClientDeps): ConnectWiseClient {
  const http = createOutboundClient({ name: "ConnectWise", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, ...(deps.now === undefined ? {} : { now: deps.now }) });
  const authorization = `Basic ${Buffer.from(`${config.companyId}+${config.publicKey}:${config.privateKey.reveal()}`, "utf8").toString("base64")}`;

  const { call, read } = createJsonApi<CwOperation>({
    http,
    baseUrl: config.apiUrl,
    service: "ConnectWise",
    log: deps.log,
    authorization: () => authorization,
    headers: { clientid: config.clientId },
    errors: { transport: cwTransportError, api: (response, op) => cwApiError(response, op, config.apiUrl), unreadable: (op) => cwUnreadable(op, config.apiUrl) },
  });

  return {
    getTicket(id) {
      const ticketId = requireId(id, "ticket id");
      return read({ method: "GET", path: `/service/tickets/${ticketId}`, retry: "idempotent" }, { label: `read ticket ${ticketId}`, kind: "ticket", ticketId }, cwTicketSchema);
    },
    getContact(id) {
      const contactId = requireId(id, "contact id");
      return read({ method: "GET", path: `/company/contacts/${contactId}`, retry: "idempotent" }, { label: `read contact ${contactId}`, kind: "contact" }, cwContactSchema.nullable(), () => null);
    },
    getMember(id) {
      const memberId = requireId(id, "member id");
      return read({ method: "GET", path: `/system/members/${memberId}`, retry: "idempotent" }, { label: `read member ${memberId}`, kind: "member" }, cwMemberSchema.nullable(), () => null);
    },
    async findMember(identifier) {
      if (!/^[A-Za-z0-9._@-]{1,100}$/.test(identifier)) return null;
      const entries = await read(
        { method: "GET", path: "/system/members", query: { conditions: `identifier="${identifier}"`, pageSize: "1" }, retry: "idempotent" },
        { label: "find a member by identifier", kind: "member" },
        list,
      );
      return parseEach(entries, cwMemberSchema).find((m) => m.identifier?.toLowerCase() === identifier.toLowerCase()) ?? null;
    },
    async addInternalNote(id, text) {
      const ticketId = requireId(id, "ticket id");
      if (typeof text !== "string" || text.trim() === "" || text.length > MAX_NOTE_TEXT) {
        throw new VerityError("VALIDATION_FAILED", { message: `A note must be 1 to ${MAX_NOTE_TEXT} characters of text.` });
      }
      const body = JSON.stringify({ text, detailDescriptionFlag: false, internalAnalysisFlag: true, resolutionFlag: false });
      const op: CwOperation = { label: `add an internal note to ticket ${ticketId}`, kind: "note", ticketId };
      const response = await call({ method: "POST", path: `/service/tickets/${ticketId}/notes`, body, retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw cwApiError(response, op, config.apiUrl);
      const note = created.safeParse(readJson(response.text));
      return { noteId: note.success ? note.data.id : null };
    },
    async listNotes(id) {
      const ticketId = requireId(id, "ticket id");
      const notes: CwNote[] = [];
      for (let page = 1; page <= MAX_NOTE_PAGES; page += 1) {
        const entries = await read(
          { method: "GET", path: `/service/tickets/${ticketId}/notes`, query: { page: String(page), pageSize: String(NOTES_PAGE_SIZE) }, retry: "idempotent" },
          { label: `list the notes of ticket ${ticketId}`, kind: "notes", ticketId },
          list,
        );
        notes.push(...parseEach(entries, cwNoteSchema));
        if (entries.length < NOTES_PAGE_SIZE) return notes;
      }
      throw new VerityError("TICKETING_ERROR", {
        message: `Ticket ${ticketId} has more than ${MAX_NOTE_PAGES * NOTES_PAGE_SIZE} notes; Verity stopped reading them.`,
        details: { operation: "notes" },
      });
    },
    probe: () =>
      probeWith(async () => {
        const op: CwOperation = { label: "read a page of tickets (a connection test)", kind: "test" };
        const response = await call({ method: "GET", path: "/service/tickets", query: { pageSize: "1", fields: "id" }, retry: "idempotent" }, op);
        if (response.status === 404) throw cwUnreadable(op, config.apiUrl);
        if (response.status < 200 || response.status > 299) throw cwApiError(response, op, config.apiUrl);
        if (!list.safeParse(readJson(response.text)).success) throw cwUnreadable(op, config.apiUrl);
        return `ConnectWise accepted the API member's keys for company ${config.companyId} with clientId ${config.clientId}, and the member can read tickets (${config.apiUrl}). Nothing was written.`;
      }),
    close: () => http.close(),
  };
}

function requireId(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new VerityError("VALIDATION_FAILED", { message: `The ConnectWise ${what} must be a positive whole number.` });
  }
  return value;
}
