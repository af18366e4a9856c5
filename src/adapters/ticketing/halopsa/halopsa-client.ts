import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, ProbeResult } from "../../../domain/ports.js";
import type { OutboundClientOptions } from "../../http/outbound.js";
import { createOutboundClient } from "../../http/outbound.js";
import type { HaloConfig } from "./halopsa-config.js";
import type { HaloErrorContext, HaloOperation } from "./halopsa-errors.js";
import { haloApiError, haloTransportError, haloUnreadable } from "./halopsa-errors.js";
import type { HaloAction, HaloAgent, HaloTicket, HaloUser } from "./halopsa-schemas.js";
import {
  createdActionId,
  haloActionSchema,
  haloAgentSchema,
  haloList,
  haloTicketSchema,
  haloUserSchema,
  parseEach,
} from "./halopsa-schemas.js";
import { readJson } from "../../http/json.js";
import { createJsonApi } from "../shared/json-api.js";
import { createHaloTokenSource } from "./halopsa-token.js";
import { probeWith } from "../../shared/probe.js";

export type { HaloAction, HaloAgent, HaloTicket, HaloUser } from "./halopsa-schemas.js";

/** Notes larger than this are refused before they reach Halo. */
const MAX_NOTE_HTML = 65_536;

export interface HaloPrivateNote {
  readonly ticketId: number;
  /** Complete note HTML; escape every value that came from a ticket or a user with `escapeHtml`. */
  readonly html: string;
}

/** The HaloPSA calls Verity makes, as the API application's agent. */
export interface HaloClient {
  /**
   * `GET /Tickets/{id}?includedetails=true`.
   * @throws VerityError TICKET_NOT_FOUND, UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE.
   */
  getTicket(id: number): Promise<HaloTicket>;
  /** `GET /Users/{id}`; `null` when Halo has no such user. */
  getUser(id: number): Promise<HaloUser | null>;
  /**
   * `GET /Users?search=…`, optionally within one Halo client. Halo's search matches parts of
   * several fields, so only users whose email address equals `email` (ignoring case) are kept.
   */
  findUsersByEmail(email: string, clientId?: number): Promise<HaloUser[]>;
  /** `GET /Agent/{id}`; `null` when Halo has no such agent. */
  getAgent(id: number): Promise<HaloAgent | null>;
  /**
   * `POST /Actions`: a note hidden from the end user, with the configured outcome and no email.
   * The request is never repeated after it may have reached Halo. On failure the error's
   * `details.ambiguous` is `true` when the note may have been created anyway (a timeout, a
   * reset, a 5xx): look for it with `listActions` before posting again.
   *
   * @example
   * ```ts
   * const { actionId } = await halo.addPrivateNote({ ticketId: 4242, html: `<p>Verified ${escapeHtml(name)}</p>` });
   * ```
   */
  addPrivateNote(note: HaloPrivateNote): Promise<{ actionId: number | null }>;
  /**
   * `GET /Actions?ticket_id=…` with full note HTML. Halo's list shape is UNCONFIRMED: a bare
   * array and `{ actions: [...] }` are both read; entries without an id are skipped.
   */
  listActions(ticketId: number): Promise<HaloAction[]>;
  /**
   * A connection test: a new access token, then one page of one ticket (`GET /Tickets?pageinate=true
   * &page_size=1`), which the API agent needs to read tickets at all. Writes nothing; never rejects.
   */
  probe(): Promise<ProbeResult>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

export interface HaloClientDeps {
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Tunes the outbound client's retry budget and backoff (defaults: 3 retries, 200 ms base). */
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
}

/**
 * Creates the HaloPSA API client: OAuth2 client credentials (cached, one request for concurrent
 * callers, renewed once on a 401), bounded retries for reads, and a single attempt for notes.
 *
 * @example
 * ```ts
 * const halo = createHaloClient(haloConfigSchema.parse(raw), { clock: systemClock, log });
 * const ticket = await halo.getTicket(4242);
 * ```
 */
export function createHaloClient(config: HaloConfig, deps: HaloClientDeps): HaloClient {
  const http = createOutboundClient({ name: "HaloPSA", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, now: () => deps.clock.now().getTime() });
  const tokens = createHaloTokenSource(config, { http, clock: deps.clock, log: deps.log });
  const ctx: HaloErrorContext = { outcome: config.outcome, scope: config.scope, apiUrl: config.apiUrl };

  const { call, read } = createJsonApi<HaloOperation>({
    http,
    baseUrl: config.apiUrl,
    service: "HaloPSA",
    log: deps.log,
    authorization: async () => `Bearer ${await tokens.get()}`,
    invalidate: (authorization) => tokens.invalidate(authorization.slice("Bearer ".length)),
    errors: { transport: haloTransportError, api: (response, op) => haloApiError(response, op, ctx), unreadable: (op) => haloUnreadable(op, ctx) },
  });

  return {
    async getTicket(id) {
      const ticketId = requireId(id, "ticket id");
      return read(
        { method: "GET", path: `/Tickets/${ticketId}`, query: { includedetails: "true" }, retry: "idempotent" },
        { label: `read ticket ${ticketId}`, kind: "ticket", ticketId },
        haloTicketSchema,
      );
    },
    async getUser(id) {
      const userId = requireId(id, "user id");
      return read(
        { method: "GET", path: `/Users/${userId}`, retry: "idempotent" },
        { label: `read user ${userId}`, kind: "user" },
        haloUserSchema.nullable(),
        () => null,
      );
    },
    async findUsersByEmail(email, clientId) {
      const wanted = requireEmail(email);
      const query: Record<string, string> = { search: wanted, includeinactive: "false", pageinate: "false" };
      if (clientId !== undefined) query.client_id = String(requireId(clientId, "client id"));
      const entries = await read(
        { method: "GET", path: "/Users", query, retry: "idempotent" },
        { label: "search users by email", kind: "user" },
        haloList("users"),
      );
      const lower = wanted.toLowerCase();
      return parseEach(entries, haloUserSchema).filter((u) => u.email?.toLowerCase() === lower);
    },
    async getAgent(id) {
      const agentId = requireId(id, "agent id");
      return read(
        { method: "GET", path: `/Agent/${agentId}`, retry: "idempotent" },
        { label: `read agent ${agentId}`, kind: "agent" },
        haloAgentSchema.nullable(),
        () => null,
      );
    },
    async addPrivateNote(note) {
      const ticketId = requireId(note.ticketId, "ticket id");
      if (typeof note.html !== "string" || note.html.trim() === "" || note.html.length > MAX_NOTE_HTML) {
        throw new VerityError("VALIDATION_FAILED", { message: `A note must be 1 to ${MAX_NOTE_HTML} characters of HTML.` });
      }
      const action = {
        ticket_id: ticketId,
        ...("id" in config.outcome ? { outcome_id: config.outcome.id } : { outcome: config.outcome.name }),
        hiddenfromuser: true,
        sendemail: false,
        note_html: note.html,
      };
      const op: HaloOperation = { label: `add a private note to ticket ${ticketId}`, kind: "note", ticketId };
      const response = await call({ method: "POST", path: "/Actions", body: JSON.stringify([action]), retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw haloApiError(response, op, ctx);
      return { actionId: createdActionId(readJson(response.text)) };
    },
    async listActions(id) {
      const ticketId = requireId(id, "ticket id");
      const entries = await read(
        { method: "GET", path: "/Actions", query: { ticket_id: String(ticketId), includehtmlnote: "true" }, retry: "idempotent" },
        { label: `list the actions of ticket ${ticketId}`, kind: "actions", ticketId },
        haloList("actions"),
      );
      return parseEach(entries, haloActionSchema);
    },
    probe: () =>
      probeWith(async () => {
        tokens.forget();
        const op: HaloOperation = { label: "read a page of tickets (a connection test)", kind: "test" };
        const response = await call({ method: "GET", path: "/Tickets", query: { pageinate: "true", page_size: "1", page_no: "1" }, retry: "idempotent" }, op);
        if (response.status === 404) throw haloUnreadable(op, ctx);
        if (response.status < 200 || response.status > 299) throw haloApiError(response, op, ctx);
        if (!haloList("tickets").safeParse(readJson(response.text)).success) throw haloUnreadable(op, ctx);
        return `HaloPSA issued an access token to client ${config.clientId} and its API agent can read tickets (${config.apiUrl}). Nothing was written.`;
      }),
    close: () => http.close(),
  };
}

function requireId(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new VerityError("VALIDATION_FAILED", { message: `The HaloPSA ${what} must be a positive whole number.` });
  }
  return value;
}

function requireEmail(value: unknown): string {
  const email = typeof value === "string" ? value.trim() : "";
  if (email === "" || email.length > 254 || !email.includes("@") || /[\p{Cc}\s]/u.test(email)) {
    throw new VerityError("VALIDATION_FAILED", { message: "An email address of at most 254 characters is required." });
  }
  return email;
}
