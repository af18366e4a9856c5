import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import { createJsonApi } from "../shared/json-api.js";
import type { OutboundClientOptions } from "../../http/outbound.js";
import { createOutboundClient } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import type { ZendeskConfig } from "./zendesk-config.js";
import type { ZendeskOperation } from "./zendesk-errors.js";
import { zendeskApiError, zendeskTransportError, zendeskUnreadable } from "./zendesk-errors.js";
import type { ZendeskTicket, ZendeskUser } from "./zendesk-schemas.js";
import { zdCommentsPage, zdTicketResponse, zdUserResponse } from "./zendesk-schemas.js";

export type { ZendeskTicket, ZendeskUser } from "./zendesk-schemas.js";

const MAX_NOTE_HTML = 65_536;
const PAGE_SIZE = 100;
/** A ticket holds at most 5,000 comments, so 50 pages of 100 read all of them. */
const MAX_PAGES = 50;

/** The Zendesk Support API calls Verity makes, as the agent its credentials belong to. */
export interface ZendeskClient {
  /**
   * `GET /api/v2/tickets/{id}.json`.
   * @throws VerityError TICKET_NOT_FOUND, UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE
   */
  getTicket(id: number): Promise<ZendeskTicket>;
  /** `GET /api/v2/users/{id}.json`; null when there is no such user. */
  getUser(id: number): Promise<ZendeskUser | null>;
  /**
   * `PUT /api/v2/tickets/{id}.json` with `{ticket: {comment: {html_body, public: false}}}`. Never
   * repeated once it may have reached Zendesk; `details.ambiguous` says the note may exist.
   */
  addInternalNote(ticketId: number, html: string): Promise<void>;
  /**
   * Whether a comment on the ticket contains `marker`, following cursor pages (`page[size]=100`,
   * `meta.has_more`, `meta.after_cursor`); null if 50 pages (Zendesk's 5,000-comment limit) were not enough.
   */
  commentsContain(ticketId: number, marker: string): Promise<boolean | null>;
  /** Reads Verity's own Zendesk user; writes nothing, never rejects. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface ZendeskClientDeps {
  readonly log: Pick<Logger, "warn" | "debug">;
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
  /** Milliseconds since the epoch, for the circuit breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}

/**
 * Creates the Zendesk client: an API token (Basic) or OAuth bearer, bounded retries for reads
 * (429 waits for Retry-After), a single attempt for notes.
 *
 * @example
 * ```ts
 * const zd = createZendeskClient(zendeskConfigSchema.parse(raw), { log });
 * const { requesterId } = await zd.getTicket(42);
 * ```
 */
export function createZendeskClient(config: ZendeskConfig, deps: ZendeskClientDeps): ZendeskClient {
  const http = createOutboundClient({ name: "Zendesk", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, ...(deps.now === undefined ? {} : { now: deps.now }) });
  const authorization =
    config.auth.kind === "token"
      ? `Basic ${Buffer.from(`${config.auth.email}/token:${config.auth.apiToken.reveal()}`, "utf8").toString("base64")}`
      : `Bearer ${config.auth.accessToken.reveal()}`;

  const { call, read } = createJsonApi<ZendeskOperation>({
    http,
    baseUrl: `${config.baseUrl}/api/v2`,
    service: "Zendesk",
    log: deps.log,
    authorization: () => authorization,
    errors: { transport: zendeskTransportError, api: (response, op) => zendeskApiError(response, op, config.baseUrl), unreadable: (op) => zendeskUnreadable(op, config.baseUrl) },
  });

  return {
    async getTicket(id) {
      const ticketId = requireId(id, "ticket id");
      return read({ method: "GET", path: `/tickets/${ticketId}.json`, retry: "idempotent" }, { label: `read ticket ${ticketId}`, kind: "ticket", ticketId }, zdTicketResponse);
    },
    async getUser(id) {
      const userId = requireId(id, "user id");
      return read({ method: "GET", path: `/users/${userId}.json`, retry: "idempotent" }, { label: `read user ${userId}`, kind: "user" }, zdUserResponse.nullable(), () => null);
    },
    async addInternalNote(id, html) {
      const ticketId = requireId(id, "ticket id");
      if (typeof html !== "string" || html.trim() === "" || html.length > MAX_NOTE_HTML) {
        throw new VerityError("VALIDATION_FAILED", { message: `A note must be 1 to ${MAX_NOTE_HTML} characters of HTML.` });
      }
      const op: ZendeskOperation = { label: `add an internal note to ticket ${ticketId}`, kind: "note", ticketId };
      const body = JSON.stringify({ ticket: { comment: { html_body: html, public: false } } });
      const response = await call({ method: "PUT", path: `/tickets/${ticketId}.json`, body, retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw zendeskApiError(response, op, config.baseUrl);
    },
    async commentsContain(id, marker) {
      const ticketId = requireId(id, "ticket id");
      const op: ZendeskOperation = { label: `list the comments of ticket ${ticketId}`, kind: "comments", ticketId };
      let after: string | null = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const query: Record<string, string> = { "page[size]": String(PAGE_SIZE), ...(after === null ? {} : { "page[after]": after }) };
        const found = await read({ method: "GET", path: `/tickets/${ticketId}/comments.json`, query, retry: "idempotent" }, op, zdCommentsPage);
        if (found.comments.some((c) => c.texts.some((t) => t.includes(marker)))) return true;
        if (found.after === null) return false;
        after = found.after;
      }
      return null;
    },
    probe: () =>
      probeWith(async () => {
        const op: ZendeskOperation = { label: "read Verity's own Zendesk user (a connection test)", kind: "test" };
        const me = await read({ method: "GET", path: "/users/me.json", retry: "idempotent" }, op, zdUserResponse);
        if (me.id === null || (me.role !== "agent" && me.role !== "admin")) {
          return { ok: false, detail: `Zendesk answered, but Verity is signed in as ${me.id === null ? "an anonymous user" : `a user with role ${me.role ?? "unknown"}`}: use an agent's credentials.` };
        }
        return `Zendesk accepted Verity's credentials for ${me.name ?? me.email ?? `user ${me.id}`} (role ${me.role}) at ${config.baseUrl}. Nothing was written.`;
      }),
    close: () => http.close(),
  };
}

function requireId(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new VerityError("VALIDATION_FAILED", { message: `The Zendesk ${what} must be a positive whole number.` });
  }
  return value;
}
