import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { auth, authStatus, fail, ok, preauth, type FakeDuoReply, type RouteContext } from "./fake-duo-routes.js";
import { checkSignature } from "./fake-duo-signature.js";
import { createFakeDuoState, type FakeDuoCaller, type FakeDuoDecision, type FakeDuoTransaction, type FakeDuoUser } from "./fake-duo-state.js";

export { DEFAULT_DEVICES, type FakeDuoCaller, type FakeDuoDecision, type FakeDuoDevice, type FakeDuoTransaction, type FakeDuoUser } from "./fake-duo-state.js";
export { fakeCanonicalString } from "./fake-duo-signature.js";
export { PUSHINFO_LIMIT_BYTES } from "./fake-duo-routes.js";

/** Every request the fake received, with the answer it wrote (if any). */
export interface RecordedDuoRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parameters as received: the query for GET, the form body for POST. */
  readonly params: readonly (readonly [string, string])[];
  readonly receivedAt: number;
  response: { readonly status: number; readonly body: unknown; readonly at: number } | null;
}

/**
 * How the next matching requests misbehave. `429`, `503` and a scripted `{status, code}` answer
 * before Duo looks at the request; `500`, `hang` and `reset` happen after it acted (a push may
 * be on the phone), exactly the ambiguous case.
 */
export type FakeDuoFailure = "429" | "503" | "500" | "hang" | "reset" | { readonly status: number; readonly code: number; readonly message: string; readonly detail?: string };

export interface FakeDuoOptions {
  readonly integrationKey?: string;
  readonly secretKey?: string;
  /** The hostname the fake believes it is, checked in signatures (default `127.0.0.1:<port>`). */
  readonly apiHost?: string;
  readonly users?: readonly FakeDuoUser[];
  /** How long auth_status holds before answering "waiting" (default 25 s). */
  readonly holdMs?: number;
  /** When an unanswered push times out (Duo: 60 s). */
  readonly pushTimeoutMs?: number;
  /** Dates further than this from the fake's clock are refused (default 300 s). */
  readonly maxSkewSeconds?: number;
  /** Accept legacy HMAC-SHA1 signatures too (default true). */
  readonly acceptSha1?: boolean;
  /** Retry-After on a 429, in seconds; Duo sending one is UNCONFIRMED, so none by default. */
  readonly retryAfterSeconds?: number | null;
  /** Where a Verified Push code shows: the first status message (Duo's mock) or /preauth (UNCONFIRMED). */
  readonly verifiedPushCodeIn?: "status_msg" | "preauth";
}

export interface FakeDuo {
  readonly baseUrl: string;
  readonly apiHost: string;
  readonly integrationKey: string;
  readonly secretKey: string;
  readonly users: Map<string, FakeDuoUser>;
  readonly transactions: readonly FakeDuoTransaction[];
  readonly requests: RecordedDuoRequest[];
  /** auth_status calls being held open right now. */
  readonly heldPolls: number;
  addUser(user: FakeDuoUser): void;
  setCaller(username: string, caller: FakeDuoCaller): void;
  /** Answers a push as the phone would; wakes its long polls. */
  answer(txid: string, decision: FakeDuoDecision): void;
  /** The next `count` requests (to `path`, when given) fail this way. */
  failNext(failure: FakeDuoFailure, options?: { count?: number; path?: string }): void;
  waitFor<T>(predicate: () => T | false | null | undefined, timeoutMs?: number): Promise<T>;
  /** Forgets requests, pushes and queued failures (users stay). */
  reset(): void;
  close(): Promise<void>;
}

const ROUTES: Record<string, { method: "GET" | "POST"; handle?: (ctx: RouteContext) => FakeDuoReply | Promise<FakeDuoReply> }> = {
  "/auth/v2/ping": { method: "GET" },
  "/auth/v2/check": { method: "GET", handle: () => ok({ time: Math.floor(Date.now() / 1000) }) },
  "/auth/v2/preauth": { method: "POST", handle: preauth },
  "/auth/v2/auth": { method: "POST", handle: auth },
  "/auth/v2/auth_status": { method: "GET", handle: authStatus },
};

/**
 * A local Duo Auth API on 127.0.0.1 with a free port: v2 signature checks (HMAC-SHA512, and SHA-1
 * if allowed) with Duo's 401 codes, ping/check/preauth/auth/auth_status, users with devices and
 * enrollment states, scripted callers, single-use passcodes, Verified Push, a real auth_status
 * long poll, Duo's error envelope, and 429/5xx/hangs on demand.
 */
export async function startFakeDuo(options: FakeDuoOptions = {}): Promise<FakeDuo> {
  const state = createFakeDuoState({ pushTimeoutMs: options.pushTimeoutMs ?? 60_000 });
  for (const user of options.users ?? []) state.users.set(user.username, user);
  const integrationKey = options.integrationKey ?? "DIVERITYFAKE00000001";
  const secretKey = options.secretKey ?? randomBytes(20).toString("hex");
  const requests: RecordedDuoRequest[] = [];
  const failures: { failure: FakeDuoFailure; path?: string }[] = [];
  const holds = new Set<() => void>();
  let apiHost = options.apiHost ?? "";

  const takeFailure = (path: string): FakeDuoFailure | undefined => {
    const at = failures.findIndex((f) => f.path === undefined || f.path === path);
    return at < 0 ? undefined : failures.splice(at, 1)[0]?.failure;
  };

  const send = (res: ServerResponse, record: RecordedDuoRequest, reply: FakeDuoReply): void => {
    if (res.destroyed || res.writableEnded) return;
    record.response = { status: reply.status, body: reply.body, at: Date.now() };
    res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers }).end(JSON.stringify(reply.body));
    reply.onSent?.();
  };

  const route = async (record: RecordedDuoRequest, res: ServerResponse): Promise<void> => {
    const failure = takeFailure(record.path);
    if (failure === "429") {
      const headers: Record<string, string> = options.retryAfterSeconds == null ? {} : { "retry-after": String(options.retryAfterSeconds) };
      return send(res, record, { ...fail(42901, "Too Many Requests"), headers });
    }
    if (failure === "503") return send(res, record, fail(50301, "Service Unavailable"));
    if (typeof failure === "object") {
      return send(res, record, { status: failure.status, body: { stat: "FAIL", code: failure.code, message: failure.message, message_detail: failure.detail } });
    }
    const known = ROUTES[record.path];
    if (known === undefined) return send(res, record, fail(40401, "Resource not found"));
    if (known.method !== record.method) return send(res, record, fail(40501, "Method not allowed"));
    if (known.handle === undefined) return send(res, record, ok({ time: Math.floor(Date.now() / 1000) }));
    const rejected = checkSignature(record, { integrationKey, secretKey, apiHost, maxSkewSeconds: options.maxSkewSeconds ?? 300, acceptSha1: options.acceptSha1 ?? true }, Date.now());
    if (rejected !== null) return send(res, record, fail(rejected.code, rejected.message));
    if (record.method === "POST" && !(record.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return send(res, record, fail(40002, "Invalid request parameters", "content-type"));
    }
    const reply = await known.handle({
      state,
      params: Object.fromEntries(record.params),
      holdMs: options.holdMs ?? 25_000,
      verifiedPushCodeIn: options.verifiedPushCodeIn ?? "status_msg",
      onClientGone: (gone) => res.once("close", gone),
      hold(finish) {
        holds.add(finish);
        return () => holds.delete(finish);
      },
    });
    if (failure === "hang") return;
    if (failure === "reset") return void res.socket?.destroy();
    if (failure === "500") return send(res, record, fail(50001, "Internal server error"));
    send(res, record, reply);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake.duo");
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const source = req.method === "POST" ? new URLSearchParams(rawBody) : url.searchParams;
      const record: RecordedDuoRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.search,
        headers: req.headers,
        rawBody,
        params: [...source],
        receivedAt: Date.now(),
        response: null,
      };
      requests.push(record);
      route(record, res).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  apiHost ||= `127.0.0.1:${port}`;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiHost,
    integrationKey,
    secretKey,
    users: state.users,
    transactions: state.transactions,
    requests,
    get heldPolls() {
      return holds.size;
    },
    addUser(user) {
      state.users.set(user.username, user);
    },
    setCaller(username, caller) {
      const user = state.users.get(username);
      if (user === undefined) throw new Error(`fake Duo has no user ${username}`);
      state.users.set(username, { ...user, caller });
    },
    answer: state.decide,
    failNext(failure, { count = 1, path } = {}) {
      for (let i = 0; i < count; i += 1) failures.push(path === undefined ? { failure } : { failure, path });
    },
    async waitFor(predicate, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value !== false && value !== null && value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`fake Duo: condition not met within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
      state.clear();
    },
    async close() {
      for (const finish of [...holds]) finish();
      state.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
