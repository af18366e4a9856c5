import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeJournalEntry, type FakeReply, type FakeSnowRecord, type FakeSnowState, handleTableApi, snowError } from "./fake-servicenow-table.js";

export type { FakeJournalEntry, FakeSnowRecord } from "./fake-servicenow-table.js";
export { newSysId } from "./fake-servicenow-table.js";

export interface FakeSnowOptions {
  /** Records per table (incident, sc_task, sc_req_item, sys_user…); each needs a 32-hex `sys_id`. */
  readonly tables?: Readonly<Record<string, readonly FakeSnowRecord[]>>;
  /** The integration user (Basic, and the password grant). */
  readonly user?: { readonly username: string; readonly password: string };
  readonly oauth?: { readonly clientId: string; readonly clientSecret: string };
  /** Whether glide.oauth.inbound.client.credential.grant_type.enabled is true (default true). */
  readonly clientCredentialsEnabled?: boolean;
  /** `expires_in` of issued tokens; the fake also stops accepting them after that (default 1799). */
  readonly tokenLifetimeSeconds?: number;
  /** The fake's time in ms (token expiry, journal times). */
  readonly now?: () => number;
  /** A cap on rows per page whatever sysparm_limit asks (UNCONFIRMED instance behaviour). */
  readonly maxLimit?: number;
}

/**
 * - `down`: 503 with the error envelope before anything happens.
 * - `forbidden`: 403, as when an ACL denies the integration user.
 * - `unauthorized`: 401 whatever the credentials.
 * - `hang`: the request is processed (a note is written) and never answered.
 * - `reset`: the request is processed, then the connection is destroyed.
 */
export type FakeSnowFailure = "down" | "forbidden" | "unauthorized" | "hang" | "reset";

export interface FakeSnowMatch {
  /** A path prefix such as `/api/now/v2/table/incident` or `/oauth_token.do`; all paths when absent. */
  readonly path?: string;
  readonly method?: "GET" | "PATCH" | "POST";
}

export interface FakeSnowRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: string;
  readonly auth: "basic" | "bearer" | "none";
  readonly outcome: number | "hang" | "reset";
}

export interface FakeSnow {
  /** `http://127.0.0.1:<port>`, the instance URL. */
  readonly instanceUrl: string;
  readonly requests: readonly FakeSnowRequest[];
  /** Grant types of each `/oauth_token.do` request, in order. */
  readonly tokenRequests: readonly string[];
  readonly state: FakeSnowState;
  /** Requests whose method matches and whose path starts with `pathPrefix`. */
  count(method: string, pathPrefix: string): number;
  /** The journal of a record (by sys_id), oldest first. */
  journal(sysId: string): readonly FakeJournalEntry[];
  /** A record by table and sys_id. */
  record(table: string, sysId: string): FakeSnowRecord | undefined;
  fail(mode: FakeSnowFailure, match?: FakeSnowMatch): void;
  /** A Rate Limit Rule hit: the next `n` matching requests get 429, Retry-After and the documented envelope. */
  throttle(n: number, match?: FakeSnowMatch & { retryAfterSeconds?: number }): void;
  heal(): void;
  revokeTokens(): void;
  close(): Promise<void>;
}

interface Rule extends FakeSnowMatch {
  mode: FakeSnowFailure | "throttle";
  remaining: number;
  retryAfterSeconds: number;
}

const unauthenticated = (): FakeReply => snowError(401, "User Not Authenticated", "Required to provide Auth information");

/**
 * A ServiceNow instance on 127.0.0.1: the Table API (v1 and v2) for the tables it is given plus
 * sys_journal_field, Basic auth for the integration user, `/oauth_token.do` (password and
 * client_credentials grants), and switchable failures.
 */
export async function startFakeServiceNow(options: FakeSnowOptions = {}): Promise<FakeSnow> {
  const user = options.user ?? { username: "verity.integration", password: "integration-password-0123" };
  const oauth = options.oauth ?? { clientId: "verity-oauth-client", clientSecret: "verity-oauth-secret-0123456789" };
  const lifetime = options.tokenLifetimeSeconds ?? 1799;
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();
  const rules: Rule[] = [];
  const requests: FakeSnowRequest[] = [];
  const tokenRequests: string[] = [];
  let base = "";
  const tables = new Map<string, Map<string, FakeSnowRecord>>();
  for (const name of ["incident", "sc_task", "sc_req_item", "sc_request", "sys_user"]) tables.set(name, new Map());
  for (const [name, records] of Object.entries(options.tables ?? {})) {
    tables.set(name, new Map(records.map((r) => [r.sys_id as string, { ...r }])));
  }
  const state: FakeSnowState = { tables, journal: [], instanceUrl: () => base, maxLimit: options.maxLimit, now };

  const issue = (form: URLSearchParams): FakeReply => {
    const grant = form.get("grant_type") ?? "";
    tokenRequests.push(grant);
    const denied = { status: 401, body: { error_description: "access_denied", error: "server_error" } };
    if (form.get("client_id") !== oauth.clientId || form.get("client_secret") !== oauth.clientSecret) return denied;
    if (grant === "password") {
      if (form.get("username") !== user.username || form.get("password") !== user.password) return denied;
    } else if (grant !== "client_credentials" || options.clientCredentialsEnabled === false) {
      return { status: 400, body: { error_description: "unsupported_grant_type", error: "server_error" } };
    }
    const accessToken = randomUUID().replace(/-/g, "");
    tokens.set(accessToken, now() + lifetime * 1000);
    return { status: 200, body: { access_token: accessToken, refresh_token: randomUUID(), scope: "useraccount", token_type: "Bearer", expires_in: lifetime } };
  };

  const authOf = (request: IncomingMessage): FakeSnowRequest["auth"] => {
    const header = request.headers.authorization ?? "";
    return /^Basic /.test(header) ? "basic" : /^Bearer /.test(header) ? "bearer" : "none";
  };

  const authenticated = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization ?? "";
    const bearer = /^Bearer (\S+)$/.exec(header)?.[1];
    if (bearer !== undefined) {
      const expires = tokens.get(bearer);
      return expires !== undefined && now() < expires;
    }
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header)?.[1];
    return basic !== undefined && Buffer.from(basic, "base64").toString("utf8") === `${user.username}:${user.password}`;
  };

  const route = (request: IncomingMessage, url: URL, body: string): FakeReply => {
    if (url.pathname === "/oauth_token.do" && request.method === "POST") return issue(new URLSearchParams(body));
    if (!url.pathname.startsWith("/api/now/")) return { status: 404, body: "Not Found" };
    if (!authenticated(request)) return unauthenticated();
    return handleTableApi(state, request.method ?? "GET", url, body, user.username);
  };

  const matching = (method: string, path: string) =>
    rules.find((r) => r.remaining > 0 && (r.method === undefined || r.method === method) && (r.path === undefined || path.startsWith(r.path)));

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", base);
    const method = request.method ?? "GET";
    const record = (outcome: FakeSnowRequest["outcome"]) =>
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, auth: authOf(request), outcome });
    const rule = matching(method, url.pathname);
    if (rule?.mode === "throttle") {
      rule.remaining -= 1;
      record(429);
      const reset = Math.floor(now() / 1000) + rule.retryAfterSeconds;
      return send(response, snowError(429, "Rate limit exceeded", "Rate limit of 100 requests per hour for Table API exceeded"), {
        "retry-after": String(rule.retryAfterSeconds),
        "x-ratelimit-limit": "100",
        "x-ratelimit-reset": String(reset),
        "x-ratelimit-rule": "2f1d6c0e8f3a4b5c9d7e6f5a4b3c2d1e",
      });
    }
    if (rule?.mode === "down") {
      record(503);
      return send(response, snowError(503, "Service Unavailable", "The instance is unavailable"));
    }
    if (rule?.mode === "forbidden") {
      record(403);
      return send(response, snowError(403, "Operation Failed", "ACL Exception Update Failed due to security constraints"));
    }
    if (rule?.mode === "unauthorized") {
      record(401);
      return send(response, unauthenticated());
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

  const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    instanceUrl: base,
    requests,
    tokenRequests,
    state,
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    journal: (sysId) => state.journal.filter((j) => j.element_id === sysId),
    record: (table, sysId) => tables.get(table)?.get(sysId),
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
  if (reply.body === undefined) return void response.writeHead(reply.status, { ...reply.headers, ...headers }).end();
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const type = typeof reply.body === "string" ? "text/plain" : "application/json;charset=UTF-8";
  response.writeHead(reply.status, { "content-type": type, ...reply.headers, ...headers }).end(text);
}
