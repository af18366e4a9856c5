import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { cwError, type FakeCwState, type FakeReply, handleCwApi } from "./fake-connectwise-api.js";
import type { FakeCwContact, FakeCwMember, FakeCwNote, FakeCwTicket } from "./fake-connectwise-data.js";
import { FAKE_CW_DATA } from "./fake-connectwise-data.js";
import { signedCallback, type CallbackInput, type SignedCallback } from "./connectwise-callbacks.js";

export type { FakeCwContact, FakeCwMember, FakeCwNote, FakeCwTicket } from "./fake-connectwise-data.js";
export { FAKE_CW_DATA } from "./fake-connectwise-data.js";

export const API_PREFIX = "/v4_6_release/apis/3.0";
export const KEY_PATH = "/v4_6_release/system/callbackkey/index.rails";

export interface FakeConnectWiseOptions {
  readonly companyId?: string;
  readonly publicKey?: string;
  readonly privateKey?: string;
  readonly clientId?: string;
  readonly tickets?: readonly FakeCwTicket[];
  readonly contacts?: readonly FakeCwContact[];
  readonly members?: readonly FakeCwMember[];
  /** The fake's time in ms, for note dates. */
  readonly now?: () => number;
}

/**
 * - `down`: 503 before anything happens.
 * - `forbidden`: 403, as when the API member's security role lacks a permission.
 * - `unauthorized`: 401 whatever the credentials, as when the keys were revoked.
 * - `hang`: the request is processed (a note is recorded) and never answered.
 */
export type FakeCwFailure = "down" | "forbidden" | "unauthorized" | "hang";

export interface FakeCwMatch {
  /** A path prefix such as `/v4_6_release/apis/3.0/service/tickets` (any case); all paths when absent. */
  readonly path?: string;
  readonly method?: "GET" | "POST";
}

/** A request as the fake received it, for assertions and the contract test. */
export interface FakeCwRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number | "hang";
}

export interface FakeConnectWise {
  /** `apiUrl` for Verity's configuration: `http://127.0.0.1:<port>/v4_6_release/apis/3.0`. */
  readonly apiUrl: string;
  /** The origin `key_url`s point at, for `callback.keyOrigins`. */
  readonly origin: string;
  readonly companyId: string;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly clientId: string;
  readonly requests: readonly FakeCwRequest[];
  readonly state: FakeCwState;
  /** Requests whose method matches and whose path (after the API prefix) starts with `prefix`. */
  count(method: string, prefix: string): number;
  /** The notes on a ticket, oldest first. */
  notes(ticketId: number): readonly FakeCwNote[];
  /** How often the callback signing key was fetched. */
  keyFetches(): number;
  /** A callback for `input`, signed as ConnectWise signs it, with the fake's own `key_url`. */
  callback(input: CallbackInput): SignedCallback;
  /** The current signing key (a test forging a callback needs a different one). */
  signingKey(): string;
  /** A new signing key at the same `key_url`, as after ConnectWise rotates it. */
  rotateKey(): void;
  fail(mode: FakeCwFailure, match?: FakeCwMatch): void;
  /** Answers the next `n` matching requests with 429 and `Retry-After`. */
  throttle(n: number, match?: FakeCwMatch & { retryAfterSeconds?: number }): void;
  heal(): void;
  close(): Promise<void>;
}

interface Rule extends FakeCwMatch {
  mode: FakeCwFailure | "throttle";
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * A ConnectWise PSA (Manage) site on 127.0.0.1 with a random port: the REST calls Verity makes
 * under Basic `companyId+publicKey:privateKey` and the mandatory `clientId` header, ConnectWise's
 * `{code, message, errors}` failures, `page`/`pageSize` paging, and the callback signing-key
 * endpoint; switchable outages and throttling.
 */
export async function startFakeConnectWise(options: FakeConnectWiseOptions = {}): Promise<FakeConnectWise> {
  const creds = {
    companyId: options.companyId ?? "contoso_msp",
    publicKey: options.publicKey ?? "pUbLiCkEy0123456",
    privateKey: options.privateKey ?? "PrIvAtEkEy0123456789",
    clientId: options.clientId ?? "6a3e1f0c-9b2d-4c1e-8f7a-0123456789ab",
  };
  const members = options.members ?? FAKE_CW_DATA.members;
  const state: FakeCwState = {
    tickets: new Map((options.tickets ?? FAKE_CW_DATA.tickets).map((t) => [t.id, structuredClone(t)])),
    contacts: new Map((options.contacts ?? FAKE_CW_DATA.contacts).map((c) => [c.id, structuredClone(c)])),
    members: new Map(members.map((m) => [m.id, structuredClone(m)])),
    notes: [],
    apiMember: members.find((m) => m.identifier === "VerityAPI") ?? { id: 999, identifier: "VerityAPI", firstName: "Verity", lastName: "API" },
    nextNoteId: 40_001,
    now: options.now ?? Date.now,
  };
  const keyId = randomBytes(8).toString("hex");
  let signingKey = randomBytes(24).toString("base64");
  const rules: Rule[] = [];
  const requests: FakeCwRequest[] = [];
  const expected = `Basic ${Buffer.from(`${creds.companyId}+${creds.publicKey}:${creds.privateKey}`).toString("base64")}`;

  const matching = (method: string, path: string) =>
    rules.find((r) => r.remaining > 0 && (r.method === undefined || r.method === method) && (r.path === undefined || path.toLowerCase().startsWith(r.path.toLowerCase())));

  const route = (request: IncomingMessage, url: URL, body: string): FakeReply => {
    if (url.pathname === KEY_PATH && request.method === "GET") {
      return url.searchParams.get("id") === keyId ? { status: 200, body: { signing_key: signingKey } } : cwError(404, "NotFound", "Callback key not found");
    }
    if (!url.pathname.toLowerCase().startsWith(API_PREFIX.toLowerCase())) return cwError(404, "NotFound", "Not found");
    // ConnectWise refuses a request without a clientId since 2019 (UNCONFIRMED: the exact wording).
    const clientId = request.headers.clientid;
    if (typeof clientId !== "string" || clientId.toLowerCase() !== creds.clientId.toLowerCase()) {
      return cwError(401, "Unauthorized", "clientId is missing or not recognised");
    }
    if (request.headers.authorization !== expected) return cwError(401, "Unauthorized", "Authentication failed");
    return handleCwApi(state, request.method ?? "GET", url.pathname.slice(API_PREFIX.length), url.searchParams, body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://fake-connectwise");
    const method = request.method ?? "GET";
    const record = (status: FakeCwRequest["status"]) => requests.push({ method, path: url.pathname, query: url.search, headers: request.headers, body, status });
    const rule = url.pathname === KEY_PATH ? undefined : matching(method, url.pathname);
    if (rule !== undefined && rule.mode !== "hang") {
      if (rule.mode === "throttle") rule.remaining -= 1;
      const reply =
        rule.mode === "throttle"
          ? cwError(429, "TooManyRequests", "Rate limit exceeded")
          : rule.mode === "down"
            ? { status: 503, body: "Service Unavailable" }
            : rule.mode === "forbidden"
              ? cwError(403, "Forbidden", "You do not have access to this record")
              : cwError(401, "Unauthorized", "Authentication failed");
      record(reply.status);
      return send(response, reply, rule.mode === "throttle" ? { "retry-after": String(rule.retryAfterSeconds) } : {});
    }
    const reply = route(request, url, body);
    if (rule?.mode === "hang") return void record("hang");
    record(reply.status);
    send(response, reply);
  };

  const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keyUrl = `${origin}${KEY_PATH}?id=${keyId}`;

  return {
    apiUrl: `${origin}${API_PREFIX}`,
    origin,
    ...creds,
    requests,
    state,
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.toLowerCase().startsWith(`${API_PREFIX}${prefix}`.toLowerCase())).length,
    notes: (ticketId) => state.notes.filter((n) => n.ticketId === ticketId),
    keyFetches: () => requests.filter((r) => r.path === KEY_PATH).length,
    callback: (input) => signedCallback({ keyUrl, signingKey, companyId: creds.companyId, ...input }),
    signingKey: () => signingKey,
    rotateKey() {
      signingKey = randomBytes(24).toString("base64");
    },
    fail(mode, match = {}) {
      rules.unshift({ ...match, mode, remaining: Number.POSITIVE_INFINITY, retryAfterSeconds: 0 });
    },
    throttle(n, match = {}) {
      rules.unshift({ ...match, mode: "throttle", remaining: n, retryAfterSeconds: match.retryAfterSeconds ?? 0 });
    },
    heal() {
      rules.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(response: ServerResponse, reply: FakeReply, headers: Record<string, string> = {}): void {
  if (reply.body === undefined) return void response.writeHead(reply.status, headers).end();
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const type = typeof reply.body === "string" ? "text/plain" : "application/json; charset=utf-8";
  response.writeHead(reply.status, { "content-type": type, ...headers }).end(text);
}
