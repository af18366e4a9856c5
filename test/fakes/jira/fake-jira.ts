import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeJiraComment, type FakeJiraRequest, type FakeJiraState, type FakeJiraUser, type FakeReply, deskError, handleJiraApi, platformError } from "./fake-jira-api.js";

export type { FakeJiraComment, FakeJiraRequest, FakeJiraUser } from "./fake-jira-api.js";

export interface FakeJiraOptions {
  /** The agent account's email and API token (Basic `email:token`). */
  readonly email?: string;
  readonly apiToken?: string;
  readonly agent?: Omit<FakeJiraUser, "emailAddress">;
  readonly users?: readonly FakeJiraUser[];
  readonly requests?: readonly FakeJiraRequest[];
  /** Comments already on requests (public ones from the portal, say). */
  readonly comments?: readonly Omit<FakeJiraComment, "id" | "created">[];
  readonly now?: () => number;
}

export interface FakeJiraMatch {
  /** A path prefix such as `/rest/servicedeskapi/request`; all paths when absent. */
  readonly path?: string;
  /** A regular expression the path must match, for `/comment` endpoints say. */
  readonly pathPattern?: RegExp;
  readonly method?: "GET" | "POST";
}

export interface FakeJiraRequestLog {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  /** Whether the request carried the right Basic credentials. */
  readonly authenticated: boolean;
}

export interface FakeJira {
  /** `https://{site}.atlassian.net` for the fake: Verity's `siteUrl`. */
  readonly siteUrl: string;
  readonly email: string;
  readonly apiToken: string;
  readonly requests: readonly FakeJiraRequestLog[];
  /** Comments on a request (by key), oldest first. */
  comments(issueKey: string): readonly FakeJiraComment[];
  /** Adds comments directly, as agents or the portal would. */
  addComments(issueKey: string, comments: readonly { body: string; public: boolean }[]): void;
  /** Matching requests, by method and path prefix. */
  count(method: string, pathPrefix: string): number;
  /** Answers the next `n` matching requests 429 with Retry-After (and X-RateLimit-Reset). */
  throttle(n: number, match?: FakeJiraMatch & { retryAfterSeconds?: number }): void;
  /** Answers matching requests 503 until `heal()`. */
  fail(match?: FakeJiraMatch): void;
  heal(): void;
  /** Hides (or shows) a user's email address, as a profile-visibility setting does. */
  setEmailVisible(accountId: string, visible: boolean): void;
  close(): Promise<void>;
}

interface Rule extends FakeJiraMatch {
  readonly mode: "throttle" | "down";
  remaining: number;
  readonly retryAfterSeconds: number;
}

/**
 * A Jira Service Management Cloud site on 127.0.0.1: the service desk API's request and comment
 * endpoints (comments stored with their `public` flag, `start`/`limit`/`isLastPage` paging), user
 * lookups, `myself`, Basic `email:apiToken` authentication, and switchable 429s and 503s.
 */
export async function startFakeJira(options: FakeJiraOptions = {}): Promise<FakeJira> {
  const email = options.email ?? "verity-agent@acme.example";
  const apiToken = options.apiToken ?? "ATATT-fake-api-token-0123456789";
  const expected = `Basic ${Buffer.from(`${email}:${apiToken}`).toString("base64")}`;
  const now = options.now ?? Date.now;
  const agent: FakeJiraUser = { accountId: "5b10ac8d82e05b22cc7d4ef5", displayName: "Verity Agent", ...options.agent, emailAddress: email };
  const state: FakeJiraState = {
    users: new Map((options.users ?? []).map((u) => [u.accountId, { ...u }])),
    requests: [...(options.requests ?? [])],
    comments: [],
    agent,
    nextCommentId: 10_001,
    now,
  };
  const store = (issueKey: string, list: readonly { body: string; public: boolean; author?: string }[]) => {
    for (const c of list) state.comments.push({ id: String(state.nextCommentId++), issueKey, body: c.body, public: c.public, author: c.author ?? agent.accountId, created: now() });
  };
  for (const c of options.comments ?? []) store(c.issueKey, [c]);
  const rules: Rule[] = [];
  const log: FakeJiraRequestLog[] = [];

  const matching = (method: string, path: string) =>
    rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.method === undefined || r.method === method) &&
        (r.path === undefined || path.startsWith(r.path)) &&
        (r.pathPattern === undefined || r.pathPattern.test(path)),
    );

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", "http://fake-jira");
    const method = request.method ?? "GET";
    const authenticated = request.headers.authorization === expected;
    const reply = (r: FakeReply) => {
      log.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: r.status, authenticated });
      send(response, r);
    };
    const rule = matching(method, url.pathname);
    if (rule?.mode === "throttle") {
      rule.remaining -= 1;
      const reset = new Date(now() + rule.retryAfterSeconds * 1000).toISOString().slice(0, 16) + "Z";
      return reply({ ...platformError(429, ["Rate limit exceeded."]), headers: { "retry-after": String(rule.retryAfterSeconds), "x-ratelimit-reset": reset, "ratelimit-reason": "jira-burst-based" } });
    }
    if (rule?.mode === "down") return reply({ status: 503, body: "Service Unavailable" });
    if (!authenticated) {
      // UNCONFIRMED: the exact 401 body for a wrong API token; both APIs' error shapes are used here.
      return reply(url.pathname.startsWith("/rest/servicedeskapi/") ? deskError(401, "Client must be authenticated to access this resource.", "sd.authentication.required") : platformError(401, ["Client must be authenticated to access this resource."]));
    }
    reply(handleJiraApi(state, method, url.pathname, url.searchParams, body));
  };

  const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    siteUrl,
    email,
    apiToken,
    requests: log,
    comments: (issueKey) => state.comments.filter((c) => c.issueKey === issueKey),
    addComments: (issueKey, comments) => store(issueKey, comments),
    count: (method, prefix) => log.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    throttle(n, match = {}) {
      rules.unshift({ ...match, mode: "throttle", remaining: n, retryAfterSeconds: match.retryAfterSeconds ?? 0 });
    },
    fail(match = {}) {
      rules.unshift({ ...match, mode: "down", remaining: Number.POSITIVE_INFINITY, retryAfterSeconds: 0 });
    },
    heal() {
      rules.length = 0;
    },
    setEmailVisible(accountId, visible) {
      const user = state.users.get(accountId);
      if (user !== undefined) state.users.set(accountId, { ...user, emailVisible: visible });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(response: ServerResponse, reply: FakeReply): void {
  const headers = reply.headers ?? {};
  if (reply.body === undefined) return void response.writeHead(reply.status, headers).end();
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const type = typeof reply.body === "string" ? "text/plain" : "application/json;charset=UTF-8";
  response.writeHead(reply.status, { "content-type": type, ...headers }).end(text);
}
