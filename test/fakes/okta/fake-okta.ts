import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createFakeOktaAuth, permission } from "./fake-okta-auth.js";
import { answerTransaction, settleTransaction, verifyFactor, type Reply } from "./fake-okta-factors.js";
import { factorResource, groupResource, notFound, oktaError, roleResource, transactionResource, userResource } from "./fake-okta-resources.js";
import { listUsers } from "./fake-okta-list.js";
import { createRateBucket } from "./fake-okta-rate.js";
import {
  completeUser,
  defaultOktaUsers,
  type FakeCaller,
  type FakeOktaFailure,
  type FakeOktaOptions,
  type FakeOktaRoute,
  type FakeOktaUser,
  type FakeTransaction,
  type RecordedOktaRequest,
} from "./fake-okta-types.js";

export * from "./fake-okta-types.js";

export interface FakeOkta {
  /** The org URL to configure Verity with. */
  readonly baseUrl: string;
  readonly tokenUrl: string;
  /** The first API token (a super admin's, unless options said otherwise). */
  readonly apiToken: string;
  readonly users: FakeOktaUser[];
  readonly transactions: FakeTransaction[];
  readonly requests: RecordedOktaRequest[];
  /** A user by login (case-insensitive). */
  user(login: string): FakeOktaUser;
  setCaller(login: string, caller: FakeCaller): void;
  /** The caller answers a waiting push now. */
  answer(transactionId: string, answer: "right" | "wrong" | "deny"): void;
  /** Sets what is left of the current window's API budget. */
  setRateLimitRemaining(remaining: number): void;
  /** The next `count` requests on `route` fail this way. */
  failNext(failure: FakeOktaFailure, count?: number, route?: FakeOktaRoute): void;
  /** Forgets every issued access token, as if Okta revoked them. */
  revokeAccessTokens(): void;
  waitFor<T>(predicate: () => T | false | null | undefined, timeoutMs?: number): Promise<T>;
  /** Forgets requests, transactions and queued failures. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_API_TOKEN = "00FakeOktaApiTokenForVerityTests0123456789";

/**
 * A local Okta org on 127.0.0.1 with a free port, for the Factors API as Okta documents it: users
 * by id, login or shortname; factor lists; push verify with number challenge; transaction polling
 * (WAITING until the scripted caller acts, then SUCCESS, REJECTED or TIMEOUT); cancel; TOTP
 * verify; user lists with `search`, `filter`, `q` and `Link` paging; a user's groups and admin
 * role assignments; SSWS tokens and OAuth service apps (private_key_jwt checked against registered keys,
 * scopes enforced); errors in Okta's envelope; X-Rate-Limit headers on every answer and 429
 * E0000047 when the budget is spent.
 */
export async function startFakeOkta(options: FakeOktaOptions = {}): Promise<FakeOkta> {
  const now = options.now ?? (() => Date.now());
  const users = (options.users ?? defaultOktaUsers()).map((u) => completeUser(u, new Date(now()).toISOString()));
  const apiTokens = options.apiTokens ?? [{ token: DEFAULT_API_TOKEN, role: "super" as const }];
  const auth = createFakeOktaAuth({ apiTokens, serviceApps: options.serviceApps ?? [], tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600 });
  const rate = options.rateLimit ?? { limit: 600 };
  const apiBucket = createRateBucket(rate.limit, (rate.windowSeconds ?? 60) * 1000, now);
  const tokenBucket = createRateBucket(rate.limit, (rate.windowSeconds ?? 60) * 1000, now);
  const transactions: FakeTransaction[] = [];
  const requests: RecordedOktaRequest[] = [];
  const failures: { failure: FakeOktaFailure; route: FakeOktaRoute }[] = [];
  let baseUrl = "";
  const links = () => options.linkBaseUrl ?? baseUrl;

  const findUser = (key: string): FakeOktaUser | undefined => {
    const lower = key.toLowerCase();
    const exact = users.find((u) => u.id === key || u.login.toLowerCase() === lower);
    if (exact !== undefined) return exact;
    const short = users.filter((u) => u.login.toLowerCase().split("@")[0] === lower);
    return short.length === 1 ? short[0] : undefined;
  };

  const classify = (method: string, segments: string[]): FakeOktaRoute | null => {
    if (segments.join("/") === "oauth2/v1/token") return method === "POST" ? "token" : null;
    if (segments[0] !== "api" || segments[1] !== "v1" || segments[2] !== "users") return null;
    if (segments.length === 3) return method === "GET" ? "users" : null;
    if (segments[3] === undefined) return null;
    const rest = segments.slice(4);
    if (rest.length === 0 && method === "GET") return "user";
    if (rest.length === 1 && rest[0] === "factors" && method === "GET") return "factors";
    if (rest.length === 1 && rest[0] === "groups" && method === "GET") return "groups";
    if (rest.length === 1 && rest[0] === "roles" && method === "GET") return "roles";
    if (rest.length === 3 && rest[0] === "factors" && rest[2] === "verify" && method === "POST") return "verify";
    if (rest.length === 4 && rest[0] === "factors" && rest[2] === "transactions") return method === "GET" ? "poll" : method === "DELETE" ? "cancel" : null;
    return null;
  };

  const api = (route: FakeOktaRoute, segments: string[], req: IncomingMessage, record: RecordedOktaRequest): Reply => {
    const principal = auth.principal(req.headers.authorization, now());
    if ("status" in principal) return principal;
    const needs = route === "verify" || route === "cancel" ? "okta.users.manage" : route === "roles" ? "okta.roles.read" : "okta.users.read";
    const denied = permission(principal, needs, links());
    if (denied !== null) return denied;
    if (route === "users") return listUsers(users, new URLSearchParams(record.query), options.pageSize ?? 200, `${links()}${record.path}${record.query}`, (u) => userResource(u, links()));
    const [, , , userKey = "", , factorId = "", , transactionId = ""] = segments;
    const user = route === "user" ? findUser(userKey) : users.find((u) => u.id === userKey);
    if (user === undefined) return notFound(userKey);
    if (route === "user") return { status: 200, body: userResource(user, links()) };
    if (route === "factors") return { status: 200, body: user.factors.map((f) => factorResource(user, f, links())) };
    if (route === "groups") return { status: 200, body: user.groups.map((g) => groupResource(g, user.created, links())) };
    if (route === "roles") return { status: 200, body: user.roles.map((r) => roleResource(user, r, links())) };
    const factor = user.factors.find((f) => f.id === factorId);
    if (factor === undefined) return oktaError(404, "E0000007", `Not found: Resource not found: ${factorId} (UserFactor)`);
    if (route === "verify") {
      return verifyFactor({
        user,
        factor,
        rawBody: record.rawBody,
        userAgent: req.headers["user-agent"],
        now: now(),
        pushLifetimeMs: options.pushLifetimeMs ?? 5 * 60 * 1000,
        numberChallenge: options.numberChallenge ?? true,
        links: links(),
        transactions,
      });
    }
    const tx = transactions.find((t) => t.id === transactionId && t.userId === user.id && t.factorId === factor.id && !t.cancelled);
    if (tx === undefined) return oktaError(404, "E0000007", `Not found: Resource not found: ${transactionId} (PushTransaction)`);
    if (route === "cancel") {
      tx.cancelled = true;
      return { status: 204, body: null };
    }
    settleTransaction(tx, user.caller, now());
    return { status: 200, body: transactionResource(tx, user.login, links()) };
  };

  const route = (req: IncomingMessage, res: ServerResponse, record: RecordedOktaRequest): void => {
    const reply = (r: Reply, bucket = apiBucket): void => {
      const headers = { "content-type": "application/json", date: new Date(now()).toUTCString(), ...bucket.headers(), ...r.headers };
      record.response = { status: r.status, body: r.body, headers };
      res.writeHead(r.status, headers).end(r.status === 204 || r.body === null ? undefined : JSON.stringify(r.body));
    };
    let segments: string[];
    try {
      segments = record.path.split("/").slice(1).map((s) => decodeURIComponent(s));
    } catch {
      return reply(oktaError(400, "E0000003", "The request was not well-formed."));
    }
    const kind = classify(req.method ?? "", segments);
    const failureAt = failures.findIndex((f) => f.route === "any" || f.route === kind);
    if (failureAt >= 0) {
      const failure = failures.splice(failureAt, 1)[0]?.failure;
      if (failure === "hang") return;
      if (failure === "reset") return void req.socket.destroy();
      if (failure === "403") return reply(oktaError(403, "E0000006", "You do not have permission to perform the requested action"));
      return reply(oktaError(Number(failure), failure === "500" ? "E0000009" : "E0000010", failure === "500" ? "Internal Server Error" : "Service is in read only mode"));
    }
    if (kind === "token") {
      if (!tokenBucket.take()) return reply(oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests."), tokenBucket);
      const answer = auth.token(new URLSearchParams(record.rawBody), `${baseUrl}/oauth2/v1/token`, now());
      return reply({ ...answer, headers: { "cache-control": "no-cache, no-store", pragma: "no-cache" } }, tokenBucket);
    }
    if (kind === null) {
      return reply(segments[0] === "api" ? oktaError(404, "E0000008", "The requested path was not found") : oktaError(405, "E0000022", "The endpoint does not support the provided HTTP method"));
    }
    if (!apiBucket.take()) return reply(oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests."));
    return reply(api(kind, segments, req, record));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake.okta");
      const record: RecordedOktaRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.search,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString("utf8"),
        receivedAt: now(),
        response: null,
      };
      requests.push(record);
      if ((options.latencyMs ?? 0) > 0) setTimeout(() => route(req, res, record), options.latencyMs);
      else route(req, res, record);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeOkta = {
    baseUrl,
    tokenUrl: `${baseUrl}/oauth2/v1/token`,
    apiToken: apiTokens[0]?.token ?? DEFAULT_API_TOKEN,
    users,
    transactions,
    requests,
    user(login) {
      const found = findUser(login);
      if (found === undefined) throw new Error(`fake Okta has no user ${login}`);
      return found;
    },
    setCaller(login, caller) {
      fake.user(login).caller = caller;
    },
    answer(transactionId, answer) {
      const tx = transactions.find((t) => t.id === transactionId);
      if (tx === undefined) throw new Error(`fake Okta has no transaction ${transactionId}`);
      answerTransaction(tx, answer);
    },
    setRateLimitRemaining: (remaining) => apiBucket.setRemaining(remaining),
    failNext(failure, count = 1, on = "any") {
      for (let i = 0; i < count; i += 1) failures.push({ failure, route: on });
    },
    revokeAccessTokens: () => auth.revokeAll(),
    async waitFor(predicate, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value !== false && value !== null && value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`fake Okta: condition not met within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    reset() {
      requests.length = 0;
      transactions.length = 0;
      failures.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
