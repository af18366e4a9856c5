import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeHaloState, type FakeReply, handleHaloApi } from "./fake-halo-api.js";
import type { FakeHaloAction, FakeHaloAgent, FakeHaloOutcome, FakeHaloTicket, FakeHaloUser } from "./fake-halo-data.js";
import { FAKE_HALO_DATA } from "./fake-halo-data.js";

export type { FakeHaloAction, FakeHaloAgent, FakeHaloOutcome, FakeHaloTicket, FakeHaloUser } from "./fake-halo-data.js";
export { FAKE_HALO_DATA } from "./fake-halo-data.js";

export interface FakeHaloOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** When set, `/auth/token` requires `?tenant=` with this value (a Halo-hosted instance). */
  readonly tenant?: string;
  /** `expires_in` of issued tokens; the fake also stops accepting them after that (default 3600). */
  readonly tokenLifetimeSeconds?: number;
  /** The fake's time in ms, for token expiry; share a fake clock with the client under test. */
  readonly now?: () => number;
  readonly tickets?: readonly FakeHaloTicket[];
  /** Delay before every answer, to model a real round trip (default 0). */
  readonly latencyMs?: number;
  readonly users?: readonly FakeHaloUser[];
  readonly agents?: readonly FakeHaloAgent[];
  readonly outcomes?: readonly FakeHaloOutcome[];
  /** `GET /Actions` as `{record_count, actions}` (default) or a bare array: the shape is UNCONFIRMED. */
  readonly actionsListShape?: "wrapped" | "bare";
  /** `POST /Actions` answers one action object (default), an array, or no body. */
  readonly actionResponseShape?: "object" | "array" | "empty";
}

/**
 * - `down`: 503 before anything happens.
 * - `forbidden`: 403, as when the API agent lacks a permission.
 * - `unauthorized`: 401 whatever the token, as when the application was disabled.
 * - `hang`: the request is processed (a note is recorded) and never answered.
 * - `reset`: the request is processed, then the connection is destroyed without an answer.
 */
export type FakeHaloFailure = "down" | "forbidden" | "unauthorized" | "hang" | "reset";

export interface FakeHaloMatch {
  /** A path prefix such as `/api/Actions` or `/auth/token` (any case); all paths when absent. */
  readonly path?: string;
  readonly method?: "GET" | "POST";
}

export interface FakeHaloRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly outcome: number | "hang" | "reset";
}

export interface FakeHalo {
  readonly authUrl: string;
  readonly apiUrl: string;
  /** Every request, in order, with what the fake did. */
  readonly requests: readonly FakeHaloRequest[];
  /** Form fields of each token request except the secret, and its `tenant` parameter. */
  readonly tokenRequests: readonly { tenant: string | null; clientId: string; scope: string; grantType: string }[];
  readonly state: FakeHaloState;
  /** Requests whose method matches and whose path starts with `pathPrefix` (any case). */
  count(method: string, pathPrefix: string): number;
  /** Actions created on a ticket. */
  notes(ticketId: number): readonly FakeHaloAction[];
  /** Fails matching requests in `mode` until `heal()`. */
  fail(mode: FakeHaloFailure, match?: FakeHaloMatch): void;
  /** Answers the next `n` matching requests with 429 and `Retry-After`. */
  throttle(n: number, match?: FakeHaloMatch & { retryAfterSeconds?: number }): void;
  heal(): void;
  /** Makes every token issued so far invalid, as when the application's secret is rotated. */
  revokeTokens(): void;
  close(): Promise<void>;
}

interface Rule extends FakeHaloMatch {
  mode: FakeHaloFailure | "throttle";
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * A HaloPSA instance on 127.0.0.1 with a random port: the client-credentials token endpoint and
 * the API calls Verity makes, with Halo's documented behaviour (Bearer checks, array bodies for
 * actions, a mandatory outcome, `pageinate`) and switchable failures.
 */
export async function startFakeHalo(options: FakeHaloOptions = {}): Promise<FakeHalo> {
  const clientId = options.clientId ?? "verity-client";
  const clientSecret = options.clientSecret ?? "verity-secret-0123456789";
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();
  const rules: Rule[] = [];
  const requests: FakeHaloRequest[] = [];
  const tokenRequests: FakeHalo["tokenRequests"][number][] = [];
  const state: FakeHaloState = {
    tickets: new Map((options.tickets ?? FAKE_HALO_DATA.tickets).map((t) => [t.id, structuredClone(t)])),
    users: new Map((options.users ?? FAKE_HALO_DATA.users).map((u) => [u.id, structuredClone(u)])),
    agents: new Map((options.agents ?? FAKE_HALO_DATA.agents).map((a) => [a.id, structuredClone(a)])),
    outcomes: [...(options.outcomes ?? FAKE_HALO_DATA.outcomes)],
    actions: [],
    apiAgentName: "Verity API",
    actionsListShape: options.actionsListShape ?? "wrapped",
    actionResponseShape: options.actionResponseShape ?? "object",
    nextActionId: 9001,
    now,
  };

  const matching = (method: string, path: string) =>
    rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.method === undefined || r.method === method) &&
        (r.path === undefined || path.toLowerCase().startsWith(r.path.toLowerCase())),
    );

  const token = (form: URLSearchParams, query: URLSearchParams): FakeReply => {
    tokenRequests.push({
      tenant: query.get("tenant"),
      clientId: form.get("client_id") ?? "",
      scope: form.get("scope") ?? "",
      grantType: form.get("grant_type") ?? "",
    });
    if (form.get("grant_type") !== "client_credentials") return { status: 400, body: { error: "unsupported_grant_type" } };
    if (options.tenant !== undefined && query.get("tenant") !== options.tenant) {
      return { status: 400, body: { error: "invalid_request", error_description: "Unknown tenant" } };
    }
    if (form.get("client_id") !== clientId || form.get("client_secret") !== clientSecret) {
      return { status: 401, body: { error: "invalid_client" } };
    }
    const accessToken = randomUUID();
    tokens.set(accessToken, now() + lifetime * 1000);
    return { status: 200, body: { token_type: "Bearer", access_token: accessToken, expires_in: lifetime, scope: form.get("scope") } };
  };

  const bearerValid = (request: IncomingMessage) => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "");
    const expiresAt = match?.[1] === undefined ? undefined : tokens.get(match[1]);
    return expiresAt !== undefined && now() < expiresAt;
  };

  const route = (request: IncomingMessage, url: URL, body: string): FakeReply => {
    const path = url.pathname;
    if (/^\/auth\/token$/i.test(path) && request.method === "POST") return token(new URLSearchParams(body), url.searchParams);
    if (!/^\/api\//i.test(path)) return { status: 404 };
    if (!bearerValid(request)) return { status: 401, body: { error: "invalid_token" } };
    return handleHaloApi(state, request.method ?? "GET", path, url.searchParams, body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://fake-halo");
    const method = request.method ?? "GET";
    const record = (outcome: FakeHaloRequest["outcome"]) => {
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), outcome });
    };
    const rule = matching(method, url.pathname);
    if (rule?.mode === "throttle") {
      rule.remaining -= 1;
      record(429);
      return send(response, { status: 429, body: { error: "Too many requests" } }, { "retry-after": String(rule.retryAfterSeconds) });
    }
    if (rule?.mode === "down") {
      record(503);
      return send(response, { status: 503, body: "Service Unavailable" });
    }
    if (rule?.mode === "forbidden") {
      record(403);
      return send(response, { status: 403, body: { ClassName: "System.Exception", Message: "You do not have permission to perform this action" } });
    }
    if (rule?.mode === "unauthorized") {
      record(401);
      return send(response, { status: 401, body: { error: "invalid_token" } });
    }
    const reply = route(request, url, body);
    if (rule?.mode === "hang") return record("hang");
    if (rule?.mode === "reset") {
      record("reset");
      return request.socket.destroy();
    }
    record(reply.status);
    send(response, reply);
  };

  const latency = options.latencyMs ?? 0;
  const server = createServer((request, response) => {
    const run = () => handle(request, response).catch(() => response.destroy());
    if (latency > 0) setTimeout(() => void run(), latency);
    else void run();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    authUrl: `${base}/auth`,
    apiUrl: `${base}/api`,
    requests,
    tokenRequests,
    state,
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.toLowerCase().startsWith(prefix.toLowerCase())).length,
    notes: (ticketId) => state.actions.filter((a) => a.ticket_id === ticketId),
    fail(mode, match = {}) {
      rules.unshift({ ...match, mode, remaining: Number.POSITIVE_INFINITY, retryAfterSeconds: 0 });
    },
    throttle(n, match = {}) {
      rules.unshift({ ...match, mode: "throttle", remaining: n, retryAfterSeconds: match.retryAfterSeconds ?? 0 });
    },
    heal() {
      rules.length = 0;
    },
    revokeTokens() {
      tokens.clear();
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
