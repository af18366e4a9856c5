import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import { createJsonApi } from "../shared/json-api.js";
import type { OutboundClientOptions } from "../../http/outbound.js";
import { createOutboundClient } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import type { FreshserviceConfig } from "./freshservice-config.js";
import type { FreshserviceOperation } from "./freshservice-errors.js";
import { freshserviceApiError, freshserviceTransportError, freshserviceUnreadable } from "./freshservice-errors.js";
import type { FreshservicePerson, FreshserviceTicket } from "./freshservice-schemas.js";
import { fsAgentResponse, fsConversationsPage, fsRequesterResponse, fsTicketResponse, fsTicketsPage, hasNextLink } from "./freshservice-schemas.js";

export type { FreshservicePerson, FreshserviceTicket } from "./freshservice-schemas.js";

const MAX_NOTE_HTML = 65_536;
/** Freshservice's largest page. */
const PER_PAGE = 100;
/** hasNoteWith reads at most this many pages (2,000 conversations) before saying it cannot tell. */
const MAX_PAGES = 20;

/** The Freshservice API v2 calls Verity makes, as the agent whose API key it holds. */
export interface FreshserviceClient {
  /**
   * `GET /api/v2/tickets/{id}?include=requester`.
   * @throws VerityError TICKET_NOT_FOUND, UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE
   */
  getTicket(id: number): Promise<FreshserviceTicket>;
  /** `GET /api/v2/requesters/{id}`; null when there is no such requester. */
  getRequester(id: number): Promise<FreshservicePerson | null>;
  /** `GET /api/v2/agents/{id}`; null when there is no such agent. */
  getAgent(id: number): Promise<FreshservicePerson | null>;
  /**
   * `POST /api/v2/tickets/{id}/notes` with `{body, private: true}`. Never repeated once it may
   * have reached Freshservice; `details.ambiguous` on the error says the note may exist.
   */
  addPrivateNote(ticketId: number, html: string): Promise<void>;
  /**
   * Whether a conversation on the ticket contains `marker`, reading `GET …/conversations` page by
   * page (`per_page=100`); null when more than 2,000 conversations would have to be read.
   */
  conversationsContain(ticketId: number, marker: string): Promise<boolean | null>;
  /** Reads one page of tickets; writes nothing, never rejects. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface FreshserviceClientDeps {
  readonly log: Pick<Logger, "warn" | "debug">;
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
  /** Milliseconds since the epoch, for the circuit breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}

/**
 * Creates the Freshservice client: Basic `apikey:X`, bounded retries for reads (429 waits for
 * Retry-After), a single attempt for notes.
 *
 * @example
 * ```ts
 * const fs = createFreshserviceClient(freshserviceConfigSchema.parse(raw), { log });
 * const { requester } = await fs.getTicket(42);
 * ```
 */
export function createFreshserviceClient(config: FreshserviceConfig, deps: FreshserviceClientDeps): FreshserviceClient {
  const http = createOutboundClient({ name: "Freshservice", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, ...(deps.now === undefined ? {} : { now: deps.now }) });
  const authorization = `Basic ${Buffer.from(`${config.apiKey.reveal()}:X`, "utf8").toString("base64")}`;

  const { call, readWithResponse: read } = createJsonApi<FreshserviceOperation>({
    http,
    baseUrl: `${config.baseUrl}/api/v2`,
    service: "Freshservice",
    log: deps.log,
    authorization: () => authorization,
    errors: { transport: freshserviceTransportError, api: (response, op) => freshserviceApiError(response, op, config.baseUrl), unreadable: (op) => freshserviceUnreadable(op, config.baseUrl) },
  });

  return {
    async getTicket(id) {
      const ticketId = requireId(id, "ticket id");
      const op: FreshserviceOperation = { label: `read ticket ${ticketId}`, kind: "ticket", ticketId };
      return (await read({ method: "GET", path: `/tickets/${ticketId}`, query: { include: "requester" }, retry: "idempotent" }, op, fsTicketResponse)).data;
    },
    async getRequester(id) {
      const requesterId = requireId(id, "requester id");
      const op: FreshserviceOperation = { label: `read requester ${requesterId}`, kind: "requester" };
      return (await read({ method: "GET", path: `/requesters/${requesterId}`, retry: "idempotent" }, op, fsRequesterResponse.nullable(), () => null)).data;
    },
    async getAgent(id) {
      const agentId = requireId(id, "agent id");
      const op: FreshserviceOperation = { label: `read agent ${agentId}`, kind: "agent" };
      return (await read({ method: "GET", path: `/agents/${agentId}`, retry: "idempotent" }, op, fsAgentResponse.nullable(), () => null)).data;
    },
    async addPrivateNote(id, html) {
      const ticketId = requireId(id, "ticket id");
      if (typeof html !== "string" || html.trim() === "" || html.length > MAX_NOTE_HTML) {
        throw new VerityError("VALIDATION_FAILED", { message: `A note must be 1 to ${MAX_NOTE_HTML} characters of HTML.` });
      }
      const op: FreshserviceOperation = { label: `add a private note to ticket ${ticketId}`, kind: "note", ticketId };
      const body = JSON.stringify({ body: html, private: true });
      const response = await call({ method: "POST", path: `/tickets/${ticketId}/notes`, body, retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw freshserviceApiError(response, op, config.baseUrl);
    },
    async conversationsContain(id, marker) {
      const ticketId = requireId(id, "ticket id");
      const op: FreshserviceOperation = { label: `list the conversations of ticket ${ticketId}`, kind: "conversations", ticketId };
      for (let page = 1; page <= MAX_PAGES; page += 1) {
        const { data, response } = await read(
          { method: "GET", path: `/tickets/${ticketId}/conversations`, query: { page: String(page), per_page: String(PER_PAGE) }, retry: "idempotent" },
          op,
          fsConversationsPage,
        );
        if (data.some((c) => c.body.includes(marker) || c.bodyText.includes(marker))) return true;
        // Freshservice announces a next page in Link; a full page without one is read on, defensively.
        const more = response.headers.link === undefined ? data.length >= PER_PAGE : hasNextLink(response.headers.link);
        if (!more) return false;
      }
      return null;
    },
    probe: () =>
      probeWith(async () => {
        const op: FreshserviceOperation = { label: "read a page of tickets (a connection test)", kind: "test" };
        await read({ method: "GET", path: "/tickets", query: { per_page: "1" }, retry: "idempotent" }, op, fsTicketsPage);
        return `Freshservice accepted Verity's API key and its agent can read tickets (${config.baseUrl}). Nothing was written.`;
      }),
    close: () => http.close(),
  };
}

function requireId(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new VerityError("VALIDATION_FAILED", { message: `The Freshservice ${what} must be a positive whole number.` });
  }
  return value;
}
