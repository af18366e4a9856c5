import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  DEFAULT_PUBLISH_PICKLIST,
  handleAutotaskApi,
  type FakeAutotaskContact,
  type FakeAutotaskNote,
  type FakeAutotaskResource,
  type FakeAutotaskState,
  type FakeAutotaskTicket,
  type FakePicklistValue,
  type FakeReply,
} from "./fake-autotask-api.js";

export type { FakeAutotaskContact, FakeAutotaskNote, FakeAutotaskResource, FakeAutotaskTicket, FakePicklistValue } from "./fake-autotask-api.js";
export { DEFAULT_PUBLISH_PICKLIST } from "./fake-autotask-api.js";

export const FAKE_AUTOTASK_CREDENTIALS = {
  username: "verity-api@msp.example",
  secret: "api-user-secret-0123456789",
  integrationCode: "TRACKINGIDENTIFIER0123456789",
} as const;

export interface FakeAutotaskOptions {
  readonly tickets?: readonly FakeAutotaskTicket[];
  readonly contacts?: readonly FakeAutotaskContact[];
  readonly resources?: readonly FakeAutotaskResource[];
  /** The TicketNotes `publish` picklist (default: 1 All Autotask Users, 2 Internal Project Team, 4 Internal & Co-Managed). */
  readonly publishPicklist?: readonly FakePicklistValue[];
  /** Query page size (default 500, as Autotask). */
  readonly pageSize?: number;
}

export interface FakeAutotaskMatch {
  /** A path prefix below the zone (`/v1.0/Tickets`) or from the root (`/atservicesrest/v1.0/zoneInformation`), any case. */
  readonly path?: string;
  readonly method?: "GET" | "POST";
}

export interface FakeAutotaskRequest {
  readonly method: string;
  /** Below the zone (`/v1.0/Tickets/1`), or the whole path for zone lookups. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Header names (lower-case) and values, the secret included: tests check what was sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The body exactly as sent ("" when none). */
  readonly rawBody: string;
  readonly status: number;
}

export interface FakeAutotask {
  /** What `zoneDiscoveryUrl` should be: the lookup answers `{url: zoneUrl}`. */
  readonly discoveryUrl: string;
  /** The current zone's REST base. */
  readonly zoneUrl: string;
  readonly requests: readonly FakeAutotaskRequest[];
  readonly state: FakeAutotaskState;
  count(method: string, pathPrefix: string): number;
  /** Notes created on a ticket, oldest first (with their `publish`). */
  notes(ticketId: number): readonly FakeAutotaskNote[];
  /** Adds existing notes to a ticket (for paging). */
  seedNotes(ticketId: number, descriptions: readonly string[]): void;
  /** Answers the next `n` matching requests with 429 and `Retry-After: retryAfterSeconds` (the hourly limit). */
  throttle(n: number, retryAfterSeconds: number, match?: FakeAutotaskMatch): void;
  /** 503 for matching requests until `heal()`. */
  fail(match?: FakeAutotaskMatch): void;
  heal(): void;
  /** Moves the database to a new zone: the old one answers 401 and the lookup names the new one. */
  moveZone(): void;
  close(): Promise<void>;
}

interface Rule extends FakeAutotaskMatch {
  readonly mode: "throttle" | "down";
  remaining: number;
  readonly retryAfterSeconds: number;
}

/**
 * An Autotask REST API on 127.0.0.1: the zone lookup (no credentials needed) and a zone under
 * `/zone{N}/atservicesrest` that checks the `ApiIntegrationCode`, `UserName` and `Secret` headers
 * on every call (401 otherwise), with the records, notes and queries of fake-autotask-api.ts.
 */
export async function startFakeAutotask(options: FakeAutotaskOptions = {}): Promise<FakeAutotask> {
  const rules: Rule[] = [];
  const requests: FakeAutotaskRequest[] = [];
  let zoneNumber = 1;
  const state: FakeAutotaskState = {
    tickets: new Map((options.tickets ?? []).map((t) => [t.id, structuredClone(t)])),
    contacts: new Map((options.contacts ?? []).map((c) => [c.id, structuredClone(c)])),
    resources: new Map((options.resources ?? []).map((r) => [r.id, structuredClone(r)])),
    publishPicklist: [...(options.publishPicklist ?? DEFAULT_PUBLISH_PICKLIST)],
    notes: [],
    nextNoteId: 30_001,
    pageSize: options.pageSize ?? 500,
  };
  let base = "";
  const zoneBase = () => `${base}/zone${zoneNumber}/atservicesrest`;

  const rule = (method: string, path: string) =>
    rules.find((r) => r.remaining > 0 && (r.method === undefined || r.method === method) && (r.path === undefined || path.toLowerCase().startsWith(r.path.toLowerCase())));

  const authentic = (request: IncomingMessage) =>
    request.headers.apiintegrationcode === FAKE_AUTOTASK_CREDENTIALS.integrationCode &&
    request.headers.username === FAKE_AUTOTASK_CREDENTIALS.username &&
    request.headers.secret === FAKE_AUTOTASK_CREDENTIALS.secret;

  const route = (request: IncomingMessage, method: string, path: string, url: URL, body: string): { reply: FakeReply; path: string } => {
    if (/^\/atservicesrest\/v1\.0\/zoneInformation$/i.test(path) && method === "GET") {
      const user = url.searchParams.get("user");
      if (user?.toLowerCase() !== FAKE_AUTOTASK_CREDENTIALS.username) return { reply: { status: 500, body: { errors: ["Zone information could not be determined"] } }, path };
      return { reply: { status: 200, body: { zoneName: "Fake Zone", url: `${zoneBase()}/`, webUrl: `${base}/web/`, ci: 0 } }, path };
    }
    const zone = /^\/zone(\d+)\/atservicesrest(\/.*)$/i.exec(path);
    if (zone === null) return { reply: { status: 404 }, path };
    const inner = zone[2] ?? "/";
    if (Number(zone[1]) !== zoneNumber || !authentic(request)) return { reply: { status: 401, body: { errors: ["Unauthorized"] } }, path: inner };
    return { reply: handleAutotaskApi(state, method, inner, url.searchParams, body, zoneBase()), path: inner };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://fake-autotask");
    const method = request.method ?? "GET";
    const inner = url.pathname.replace(/^\/zone\d+\/atservicesrest/i, "");
    const headers = Object.fromEntries(Object.entries(request.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])));
    const record = (path: string, status: number) => requests.push({ method, path, query: Object.fromEntries(url.searchParams), headers, body: parseBody(body), rawBody: body, status });
    const matched = rule(method, inner) ?? rule(method, url.pathname);
    if (matched !== undefined) {
      matched.remaining -= 1;
      const status = matched.mode === "throttle" ? 429 : 503;
      record(inner, status);
      const extra: Record<string, string> = matched.mode === "throttle" ? { "retry-after": String(matched.retryAfterSeconds) } : {};
      const message = matched.mode === "throttle" ? "API request threshold exceeded" : "Service Unavailable";
      return send(response, { status, body: { errors: [message] } }, extra);
    }
    const { reply, path } = route(request, method, url.pathname, url, body);
    record(path, reply.status);
    send(response, reply);
  };

  const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    discoveryUrl: `${base}/atservicesrest`,
    get zoneUrl() {
      return zoneBase();
    },
    requests,
    state,
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.toLowerCase().startsWith(prefix.toLowerCase())).length,
    notes: (ticketId) => state.notes.filter((n) => n.ticketID === ticketId),
    seedNotes(ticketId, descriptions) {
      for (const description of descriptions) state.notes.push({ id: state.nextNoteId++, ticketID: ticketId, title: "Earlier note", description, noteType: 1, publish: 2 });
    },
    throttle(n, retryAfterSeconds, match = {}) {
      rules.unshift({ ...match, mode: "throttle", remaining: n, retryAfterSeconds });
    },
    fail(match = {}) {
      rules.unshift({ ...match, mode: "down", remaining: Number.POSITIVE_INFINITY, retryAfterSeconds: 0 });
    },
    heal() {
      rules.length = 0;
    },
    moveZone() {
      zoneNumber += 1;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function send(response: ServerResponse, reply: FakeReply, headers: Record<string, string> = {}): void {
  if (reply.body === undefined) return void response.writeHead(reply.status, headers).end();
  response.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(reply.body));
}
