import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "../entra/fake-login.js";
import { handleConnector, pushOutcome, resultOnly, type ConnectorState, type UserEntry } from "./fake-connector.js";
import type { Decision, FakeEntraMfaOptions, FakeMfaFailure, FakeMfaRequest, FakeMfaSession, ScriptedCaller } from "./fake-entra-mfa-types.js";
import { discovery, v1TokenEndpoint, type MfaLoginState } from "./fake-mfa-login.js";

export type * from "./fake-entra-mfa-types.js";

type PathMatch = string | RegExp;

export interface FakeEntraMfa {
  /** Configure as `loginUrl`. */
  readonly loginUrl: string;
  /** Configure as `connectorUrl`; it is also the token resource the fake expects. */
  readonly connectorUrl: string;
  /** A second connector path serving the same sessions, to configure as `passcodeConnectorUrl`. */
  readonly passcodeConnectorUrl: string;
  readonly origin: string;
  /** Every request, oldest first; never the Authorization header or a token request's body. */
  readonly requests: readonly FakeMfaRequest[];
  /** Every connector session (one per Begin that got that far). */
  readonly sessions: readonly FakeMfaSession[];
  /** Requests whose path (double slashes collapsed) starts with `prefix` or matches the RegExp. */
  count(match: PathMatch): number;
  resetStats(): void;
  tokensIssued(): number;
  /** Forgets every issued token: the connector answers 401 to them. */
  revokeTokens(): void;
  /** The next `times` matching requests fail as given. */
  failNext(match: PathMatch, failure: FakeMfaFailure, times?: number): void;
  clearFailures(): void;
  /** Changes how a user's phone answers, for sessions now open and later ones. */
  setCaller(upn: string, caller: ScriptedCaller): void;
  /** Answers the user's newest open push now; false when there is none or it timed out. */
  answer(upn: string, decision: Decision): boolean;
  /** Where the user's newest push stands now, as End would report it. */
  outcomeOf(upn: string): string | undefined;
  close(): Promise<void>;
}

const matches = (match: PathMatch, path: string) => (typeof match === "string" ? path.startsWith(match) : match.test(path));

/**
 * A local Microsoft Entra MFA connector for tests: the v1 token endpoint and tenant discovery under
 * `/login`, and BeginTwoWayAuthentication / EndTwoWayAuthentication under `/connector` (and
 * `/passcode-connector`). It validates certificate assertions against the certificates registered
 * on each tenant's Azure Multi-Factor Auth Client service principal, or short-lived secrets, binds
 * tokens to their tenant, and answers with the XML shapes of the AD FS adapter's trace.
 */
export async function startFakeEntraMfa(options: FakeEntraMfaOptions): Promise<FakeEntraMfa> {
  const requests: FakeMfaRequest[] = [];
  const failures: { match: PathMatch; failure: FakeMfaFailure; left: number }[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void handle(request, response, Buffer.concat(chunks).toString("utf8")).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: error instanceof Error ? error.message : "fake failure" });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connectorUrl = `${origin}/connector`;

  const login: MfaLoginState = {
    options,
    loginUrl: `${origin}/login`,
    resource: connectorUrl,
    now: () => (options.clock?.now() ?? new Date()).getTime(),
    tenant: (key) => {
      const wanted = key.toLowerCase();
      return options.tenants.find((t) => t.id.toLowerCase() === wanted || t.domains.some((d) => d.toLowerCase() === wanted));
    },
    tokens: new Map(),
    tokensIssued: 0,
  };
  const users = new Map<string, UserEntry>();
  for (const tenant of options.tenants) {
    for (const user of tenant.users ?? []) users.set(user.upn.toLowerCase(), { tenant: tenant.id, user, caller: user.caller ?? { action: "ignore" } });
  }
  const state: ConnectorState = {
    login,
    affinityBase: (path) => options.affinityUrl ?? `${origin}${path.replace(/\/[^/]+$/, "")}/EndTwoWayAuthentication?dc=${options.affinityDc ?? "KRS"}`,
    sessions: [],
    users,
    usedCodes: new Set(),
    pushTimeoutMs: options.pushTimeoutMs ?? 60_000,
    sessionLifetimeMs: options.sessionLifetimeMs ?? 180_000,
  };

  const newestPush = (upn: string) => [...state.sessions].reverse().find((s) => s.upn.toLowerCase() === upn.toLowerCase() && s.method !== "PhoneAppOTP");

  async function handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const url = new URL(request.url ?? "/", origin);
    const path = url.pathname.replace(/\/{2,}/g, "/");
    const entry: FakeMfaRequest = { method: request.method ?? "GET", path, query: Object.fromEntries(url.searchParams), time: new Date(), status: 0 };
    requests.push(entry);
    response.on("finish", () => {
      entry.status = response.statusCode;
    });
    const connector = /^\/(connector|passcode-connector)\/(BeginTwoWayAuthentication|EndTwoWayAuthentication)$/.exec(path);
    const failure = failures.find((f) => f.left > 0 && matches(f.match, path));
    if (failure !== undefined) {
      failure.left -= 1;
      const mode = failure.failure;
      if (connector !== null) entry.xml = body;
      if ("hang" in mode) {
        hanging.add(response);
        return;
      }
      if ("body" in mode) {
        response.writeHead(mode.status ?? 200, { "content-type": mode.contentType ?? "application/xml; charset=utf-8" }).end(mode.body);
        return;
      }
      if ("result" in mode) {
        if (connector?.[2] === undefined) throw new Error("a result failure needs a connector path");
        return resultOnly(response, connector[2] as "BeginTwoWayAuthentication", mode.result, mode.retry ?? false);
      }
      const headers: Record<string, string> = mode.status === 429 && mode.retryAfter !== undefined ? { "retry-after": String(mode.retryAfter) } : {};
      if (path.startsWith("/login/")) {
        return sendJson(response, mode.status, { error: "temporarily_unavailable", error_description: "AADSTS90033: A transient error has occurred. Please try again." }, headers);
      }
      response.writeHead(mode.status, { "content-type": "text/html", ...headers }).end("<html><body>Service Unavailable</body></html>");
      return;
    }
    const token = /^\/login\/([^/]+)\/oauth2\/token$/.exec(path);
    if (token?.[1] !== undefined && request.method === "POST") return v1TokenEndpoint(login, response, decodeURIComponent(token[1]), body, entry);
    const disco = /^\/login\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (disco?.[1] !== undefined && request.method === "GET") return discovery(login, response, decodeURIComponent(disco[1]));
    if (connector?.[2] !== undefined && request.method === "POST") {
      return handleConnector(state, request, response, connector[2] as "BeginTwoWayAuthentication", path, body, entry);
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("not found");
  }

  return {
    loginUrl: login.loginUrl,
    connectorUrl,
    passcodeConnectorUrl: `${origin}/passcode-connector`,
    origin,
    requests,
    sessions: state.sessions,
    count: (match) => requests.filter((r) => matches(match, r.path)).length,
    resetStats() {
      requests.length = 0;
    },
    tokensIssued: () => login.tokensIssued,
    revokeTokens: () => login.tokens.clear(),
    failNext(match, failure, times = 1) {
      failures.push({ match, failure, left: times });
    },
    clearFailures() {
      failures.length = 0;
    },
    setCaller(upn, caller) {
      const entry = users.get(upn.toLowerCase());
      if (entry === undefined) throw new Error(`no fake user ${upn}`);
      entry.caller = caller;
    },
    answer(upn, decision) {
      const session = newestPush(upn);
      if (session === undefined || session.decision !== undefined) return false;
      const atMs = login.now() - session.startedAt;
      if (atMs >= state.pushTimeoutMs) return false;
      session.decision = { ...decision, atMs };
      return true;
    },
    outcomeOf(upn) {
      const session = newestPush(upn);
      return session === undefined ? undefined : pushOutcome(state, session, login.now()).value;
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
