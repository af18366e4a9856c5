import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeEntraOptions, FakeFailure, FakeRequest, FakeState } from "./fake-entra-types.js";
import { graphError, handleGraph } from "./fake-graph.js";
import { openIdConfiguration, sendJson, tokenEndpoint } from "./fake-login.js";
import type { FakeSentMail } from "./fake-sendmail.js";

export type { FakeSentMail } from "./fake-sendmail.js";
export type { FakeApp, FakeAudit, FakeEntraOptions, FakeFailure, FakeRequest, FakeTenant, FakeUser } from "./fake-entra-types.js";

type PathMatch = string | RegExp;

export interface FakeEntra {
  /** Where the login endpoints live: configure it as `loginUrl`. */
  readonly loginUrl: string;
  /** Where Graph lives: configure it as `graphUrl`. */
  readonly graphUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every request, oldest first, with its ConsistencyLevel header; never the Authorization header or a body. */
  readonly requests: readonly FakeRequest[];
  /** Requests whose path starts with `prefix` (or matches the RegExp). */
  count(match: PathMatch): number;
  /** The most requests that were being handled at once since the last reset. */
  maxInFlight(): number;
  /** Clears the request log and the concurrency high-water mark. */
  resetStats(): void;
  /** Messages accepted by `POST /v1.0/users/{mailbox}/sendMail`, oldest first. */
  readonly sentMail: readonly FakeSentMail[];
  /** Tokens issued so far. */
  tokensIssued(): number;
  /** Forgets every issued token, as if revoked: Graph answers 401 to them. */
  revokeTokens(): void;
  /**
   * Replaces the application permissions an administrator of `tenantId` consented to for
   * `clientId` (null withdraws consent). As in Entra, only tokens issued afterwards carry the
   * change, so Graph keeps answering 403 (or 200) to the tokens already out until they expire.
   */
  setConsent(clientId: string, tenantId: string, permissions: readonly string[] | null): void;
  /** The next `times` requests on a matching path fail as given (429, 5xx, or never answered). */
  failNext(match: PathMatch, failure: FakeFailure, times?: number): void;
  /** Drops the failures and nextLink overrides not yet used. */
  clearFailures(): void;
  /** The next matching collection page carries this `@odata.nextLink` instead of its own. */
  injectNextLink(match: PathMatch, url: string): void;
  /** Delay before every Graph answer. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const matchesPath = (match: PathMatch, path: string) => (typeof match === "string" ? path.startsWith(match) : match.test(path));

/**
 * A local Microsoft Entra ID for tests: the v2.0 login endpoints (OpenID discovery per verified
 * domain and per tenant GUID, the client-credentials token endpoint with secrets and certificate
 * assertions) under `/login`, and the Microsoft Graph reads Verity makes under `/graph`, with
 * bearer tokens bound to the tenant they were issued for. Answers follow Microsoft's documented
 * bodies and status codes, including the AADSTS and Graph error envelopes.
 */
export async function startFakeEntra(options: FakeEntraOptions): Promise<FakeEntra> {
  const requests: FakeRequest[] = [];
  const failures: { match: PathMatch; failure: FakeFailure; left: number }[] = [];
  const nextLinks: { match: PathMatch; url: string }[] = [];
  const hanging = new Set<ServerResponse>();
  let latencyMs = options.latencyMs ?? 0;
  let inFlight = 0;
  let highWater = 0;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void handle(request, response, Buffer.concat(chunks).toString("utf8")).catch((error: unknown) => {
        if (!response.headersSent) graphError(response, 500, "InternalServerError", error instanceof Error ? error.message : "fake failure");
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: FakeState & { readonly sentMail: FakeSentMail[] } = {
    sentMail: [],
    options,
    loginUrl: `${origin}/login`,
    graphUrl: `${origin}/graph`,
    now: () => options.clock?.now() ?? new Date(),
    tenant: (key) => {
      const wanted = key.toLowerCase();
      return options.tenants.find((t) => t.id.toLowerCase() === wanted || t.domains.some((d) => d.toLowerCase() === wanted));
    },
    tokens: new Map(),
    tokensIssued: 0,
    consentChanges: new Map(),
  };

  const takeNextLink = (path: string): string | undefined => {
    const at = nextLinks.findIndex((n) => matchesPath(n.match, path));
    return at < 0 ? undefined : nextLinks.splice(at, 1)[0]?.url;
  };

  async function handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const url = new URL(request.url ?? "/", origin);
    const path = url.pathname;
    const consistency = request.headers.consistencylevel;
    const entry: FakeRequest = {
      method: request.method ?? "GET",
      path,
      query: Object.fromEntries(url.searchParams),
      ...(typeof consistency === "string" ? { consistencyLevel: consistency } : {}),
      time: new Date(),
      status: 0,
    };
    requests.push(entry);
    inFlight += 1;
    highWater = Math.max(highWater, inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      entry.status = response.statusCode;
    };
    response.on("finish", finish);
    response.on("close", finish);

    const failure = failures.find((f) => f.left > 0 && matchesPath(f.match, path));
    if (failure !== undefined) {
      failure.left -= 1;
      const mode = failure.failure;
      if ("hang" in mode) {
        hanging.add(response);
        return;
      }
      const headers: Record<string, string> = mode.status === 429 && mode.retryAfter !== undefined ? { "retry-after": String(mode.retryAfter) } : {};
      if (path.startsWith("/login/")) return sendJson(response, mode.status, { error: "temporarily_unavailable", error_description: "AADSTS90033: A transient error has occurred. Please try again." }, headers);
      if (mode.status === 401) return graphError(response, 401, "InvalidAuthenticationToken", "Access token validation failure.");
      return mode.status === 429
        ? graphError(response, 429, "TooManyRequests", "Too many requests from Identifier:fake under category:throttle.aad.ags.", headers)
        : graphError(response, mode.status, "ServiceNotAvailable", "The service is temporarily unavailable.", headers);
    }

    const login = /^\/login\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(path);
    if (login?.[1] !== undefined) {
      const key = decodeURIComponent(login[1]);
      if (login[2] === "oauth2/v2.0/token" && request.method === "POST") return tokenEndpoint(state, response, key, body);
      if (request.method === "GET" && login[2] !== "oauth2/v2.0/token") return openIdConfiguration(state, response, key);
    }
    if (path.startsWith("/graph/")) {
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      return handleGraph(state, request, response, url, path.slice("/graph".length), takeNextLink, body);
    }
    sendJson(response, 404, { error: "not_found" });
  }

  return {
    loginUrl: state.loginUrl,
    graphUrl: state.graphUrl,
    origin,
    requests,
    count: (match) => requests.filter((r) => matchesPath(match, r.path)).length,
    maxInFlight: () => highWater,
    resetStats() {
      requests.length = 0;
      highWater = inFlight;
    },
    sentMail: state.sentMail,
    tokensIssued: () => state.tokensIssued,
    revokeTokens: () => state.tokens.clear(),
    setConsent(clientId, tenantId, permissions) {
      state.consentChanges?.set(`${clientId.toLowerCase()}/${tenantId.toLowerCase()}`, permissions);
    },
    failNext(match, failure, times = 1) {
      failures.push({ match, failure, left: times });
    },
    clearFailures() {
      failures.length = 0;
      nextLinks.length = 0;
    },
    injectNextLink(match, url) {
      nextLinks.push({ match, url });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
