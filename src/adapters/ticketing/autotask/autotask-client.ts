import type { Logger } from "pino";
import type { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import type { OutboundClientOptions, OutboundResponse, RetryMode } from "../../http/outbound.js";
import { createOutboundClient, OutboundError } from "../../http/outbound.js";
import { readJson } from "../../http/json.js";
import { probeWith } from "../../shared/probe.js";
import type { AutotaskConfig } from "./autotask-config.js";
import type { AutotaskOperation } from "./autotask-errors.js";
import { autotaskApiError, autotaskTransportError, autotaskUnreadable } from "./autotask-errors.js";
import { choosePublish } from "./autotask-publish.js";
import type { AutotaskContact, AutotaskTicket } from "./autotask-schemas.js";
import {
  autotaskContactSchema,
  autotaskNoteSchema,
  autotaskResourceSchema,
  autotaskTicketSchema,
  createdSchema,
  entityFieldsSchema,
  itemOf,
  queryPageSchema,
} from "./autotask-schemas.js";
import { createZoneSource } from "./autotask-zone.js";

/** Autotask's TicketNotes `description` holds 32,000 characters (UNCONFIRMED: entity docs as recalled by public clients). */
export const MAX_NOTE_TEXT = 32_000;
export const NOTE_TITLE = "Verity identity check";
/** Notes are read 500 to a page (Autotask's maximum); a ticket with more than this many pages is not searched to the end. */
const MAX_NOTE_PAGES = 20;

/** The Autotask REST calls Verity makes, as the API user. */
export interface AutotaskClient {
  /** `GET /v1.0/Tickets/{id}`. @throws VerityError TICKET_NOT_FOUND, UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE */
  getTicket(id: number): Promise<AutotaskTicket>;
  /** `GET /v1.0/Contacts/{id}`; null when Autotask has no such contact. */
  getContact(id: number): Promise<AutotaskContact | null>;
  /** `GET /v1.0/Resources/{id}`; null when Autotask has no such resource. */
  getResource(id: number): Promise<{ id: number; name: string | null } | null>;
  /** The notes' `publish` value, read once from the TicketNotes field picklist (see choosePublish). */
  publishValue(): Promise<number>;
  /**
   * `POST /v1.0/Tickets/{id}/Notes` with a plain-text description. Never repeated once it may have
   * reached Autotask; `details.ambiguous` on a failure says the note may exist anyway.
   */
  addNote(note: { readonly ticketId: number; readonly text: string }): Promise<{ noteId: number | null }>;
  /**
   * Whether a note on the ticket contains `marker`: `POST /v1.0/TicketNotes/query` filtered on the
   * ticket, following `pageDetails.nextPageUrl` for at most 20 pages; null when it could not tell.
   */
  findNote(ticketId: number, marker: string): Promise<boolean | null>;
  /** A connection test: the zone, the publish choice and one ticket read. Writes nothing; never rejects. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface AutotaskClientDeps {
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Tunes the outbound client's retry budget and backoff (defaults: 3 retries, 200 ms base). */
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
  /** Milliseconds since the epoch, for the circuit breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}

interface ApiCall {
  readonly method: "GET" | "POST";
  /** Below the zone (`/v1.0/Tickets/1`), or an absolute URL on the zone (a next page). */
  readonly path: string | URL;
  readonly body?: unknown;
  readonly retry: RetryMode;
}

/**
 * Creates the Autotask REST client. Every call carries the `ApiIntegrationCode`, `UserName` and
 * `Secret` headers; reads retry (429 with Retry-After honoured, 5xx, transport failures), notes
 * are sent once. A 401 from a discovered zone makes Verity look the zone up again, once: a
 * database moved to another zone answers there no more.
 */
export function createAutotaskClient(config: AutotaskConfig, deps: AutotaskClientDeps): AutotaskClient {
  const http = createOutboundClient({ name: "Autotask", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, ...(deps.now === undefined ? {} : { now: deps.now }) });
  const zones = createZoneSource(config, { http, log: deps.log });
  const headers = {
    ApiIntegrationCode: config.integrationCode.reveal(),
    UserName: config.username,
    Secret: config.secret.reveal(),
    accept: "application/json",
  };
  let publish: Promise<number> | undefined;

  const send = async (zone: string, call: ApiCall, op: AutotaskOperation): Promise<OutboundResponse> => {
    const url = call.path instanceof URL ? call.path : new URL(`${zone}${call.path}`);
    try {
      return await http.request({
        method: call.method,
        url,
        headers: call.body === undefined ? headers : { ...headers, "content-type": "application/json; charset=utf-8" },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        retry: call.retry,
      });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      if (error.kind === "not_sent") zones.forget();
      throw autotaskTransportError(error, op);
    }
  };

  const call = async (request: ApiCall, op: AutotaskOperation): Promise<{ response: OutboundResponse; zone: string }> => {
    const zone = await zones.get();
    const response = await send(zone, request, op);
    if (response.status !== 401 || request.path instanceof URL || !zones.forget()) return { response, zone };
    const again = await zones.get();
    if (again === zone) return { response, zone };
    deps.log.warn({ service: "Autotask", operation: op.kind }, "Autotask's zone for the API user changed; retrying there");
    return { response: await send(again, request, op), zone: again };
  };

  const read = async <T>(request: ApiCall, op: AutotaskOperation, schema: z.ZodType<T>): Promise<T | null> => {
    const { response, zone } = await call(request, op);
    if (response.status === 404 && op.kind !== "ticket" && op.kind !== "notes") return null;
    if (response.status < 200 || response.status > 299) throw autotaskApiError(response, op, zone);
    const parsed = itemOf(schema).safeParse(readJson(response.text));
    if (!parsed.success) throw autotaskUnreadable(op, zone);
    return parsed.data;
  };

  const readPublish = async (): Promise<number> => {
    const op: AutotaskOperation = { label: "read the ticket note fields (publish picklist)", kind: "publish" };
    const { response, zone } = await call({ method: "GET", path: "/v1.0/TicketNotes/entityInformation/fields", retry: "idempotent" }, op);
    if (response.status < 200 || response.status > 299) throw autotaskApiError(response, op, zone);
    const parsed = entityFieldsSchema.safeParse(readJson(response.text));
    if (!parsed.success) throw autotaskUnreadable(op, zone);
    const field = parsed.data.fields.find((f) => f.name.toLowerCase() === "publish");
    const value = choosePublish(field?.picklistValues ?? [], config.notePublish);
    if (value === 1) deps.log.warn({ service: "Autotask" }, "Autotask notes are published to All Autotask Users (notePublish: 1): outsourced copies of tickets show them");
    return value;
  };

  const client: AutotaskClient = {
    async getTicket(id) {
      const ticketId = requireId(id);
      const op: AutotaskOperation = { label: `read ticket ${ticketId}`, kind: "ticket", ticketId };
      const ticket = await read({ method: "GET", path: `/v1.0/Tickets/${ticketId}`, retry: "idempotent" }, op, autotaskTicketSchema);
      if (ticket === null) throw new VerityError("TICKET_NOT_FOUND", { message: `Autotask has no ticket ${ticketId}.`, details: { operation: "ticket" } });
      return ticket;
    },
    async getContact(id) {
      const contactId = requireId(id);
      return read({ method: "GET", path: `/v1.0/Contacts/${contactId}`, retry: "idempotent" }, { label: `read contact ${contactId}`, kind: "contact" }, autotaskContactSchema);
    },
    async getResource(id) {
      const resourceId = requireId(id);
      return read({ method: "GET", path: `/v1.0/Resources/${resourceId}`, retry: "idempotent" }, { label: `read resource ${resourceId}`, kind: "resource" }, autotaskResourceSchema);
    },
    publishValue() {
      publish ??= readPublish().catch((error: unknown) => {
        publish = undefined;
        throw error;
      });
      return publish;
    },
    async addNote(note) {
      const ticketId = requireId(note.ticketId);
      if (note.text.trim() === "" || note.text.length > MAX_NOTE_TEXT) {
        throw new VerityError("VALIDATION_FAILED", { message: `An Autotask note must be 1 to ${MAX_NOTE_TEXT} characters of text.` });
      }
      const value = await client.publishValue();
      const op: AutotaskOperation = { label: `add a note to ticket ${ticketId}`, kind: "note", ticketId };
      const body = { ticketID: ticketId, title: NOTE_TITLE, description: note.text, noteType: 1, publish: value };
      const { response, zone } = await call({ method: "POST", path: `/v1.0/Tickets/${ticketId}/Notes`, body, retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw autotaskApiError(response, op, zone);
      const created = createdSchema.safeParse(readJson(response.text));
      return { noteId: created.success ? created.data.itemId : null };
    },
    async findNote(id, marker) {
      const ticketId = requireId(id);
      const op: AutotaskOperation = { label: `list the notes of ticket ${ticketId}`, kind: "notes", ticketId };
      let request: ApiCall = {
        method: "POST",
        path: "/v1.0/TicketNotes/query",
        body: { filter: [{ op: "eq", field: "ticketID", value: ticketId }] },
        retry: "idempotent",
      };
      for (let page = 0; page < MAX_NOTE_PAGES; page += 1) {
        const { response, zone } = await call(request, op);
        if (response.status < 200 || response.status > 299) throw autotaskApiError(response, op, zone);
        const parsed = queryPageSchema.safeParse(readJson(response.text));
        if (!parsed.success) throw autotaskUnreadable(op, zone);
        for (const item of parsed.data.items) {
          const n = autotaskNoteSchema.safeParse(item);
          if (n.success && ((n.data.description ?? "").includes(marker) || (n.data.title ?? "").includes(marker))) return true;
        }
        const next = nextPage(parsed.data.pageDetails?.nextPageUrl, zone);
        if (next === "end") return false;
        if (next === "refused") return null;
        request = { method: "GET", path: next, retry: "idempotent" };
      }
      return null;
    },
    probe: () =>
      probeWith(async () => {
        zones.forget();
        publish = undefined;
        const zone = await zones.get();
        const value = await client.publishValue();
        const op: AutotaskOperation = { label: "query one ticket (a connection test)", kind: "test" };
        const { response } = await call(
          { method: "POST", path: "/v1.0/Tickets/query", body: { MaxRecords: 1, filter: [{ op: "gt", field: "id", value: 0 }] }, retry: "idempotent" },
          op,
        );
        if (response.status < 200 || response.status > 299) throw autotaskApiError(response, op, zone);
        if (!queryPageSchema.safeParse(readJson(response.text)).success) throw autotaskUnreadable(op, zone);
        return `Autotask accepted API user ${config.username} in zone ${zone}; it can query tickets, and notes will be published as value ${value}. Nothing was written.`;
      }),
    close: () => http.close(),
  };
  return client;
}

/** A next page on the zone's own origin, "end" when there is none, "refused" for any other address. */
function nextPage(url: string | null | undefined, zone: string): URL | "end" | "refused" {
  if (url === null || url === undefined || url.trim() === "") return "end";
  let next: URL;
  try {
    next = new URL(url);
  } catch {
    return "refused";
  }
  return next.origin === new URL(zone).origin && next.username === "" && next.password === "" ? next : "refused";
}

function requireId(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new VerityError("VALIDATION_FAILED", { message: "An Autotask id must be a positive whole number." });
  }
  return value;
}
