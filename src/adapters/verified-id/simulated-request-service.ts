import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { Clock } from "../../domain/ports.js";
import { readJson } from "../http/json.js";
import { createOutboundClient } from "../http/outbound.js";
import { VERIFIED_ID_SCOPE } from "./verified-id-config.js";

/**
 * DEVELOPMENT ONLY: a stand-in for Microsoft Entra Verified ID's Request Service and for the
 * wallet, spoken to over HTTP by the real `verified-id` adapter. The demo serves it on loopback
 * (http/routes/demo-verified-id.ts) and the tests wrap it in a local server
 * (test/fakes/verified-id). It follows the documented contract (PROVIDERS.md §11,
 * presentation-request-api.md, error-codes.md): the client-credentials token for the service's
 * resource, createPresentationRequest's validation and 201 answer, and the callbacks a wallet's
 * actions cause. Like the real service it enforces the Face Check threshold (a low score is a
 * `presentation_error` without the score); like a tampered wallet it does not enforce the
 * request's constraints, so "someone else's credential" reaches Verity's own subject check.
 */

export interface SimulatedRequest {
  readonly requestId: string;
  readonly tenantId: string;
  /** The request body as received (it holds the callback's api-key: tests compare it). */
  readonly body: PresentationRequestBody;
  readonly createdAt: string;
  readonly expiresAt: string;
  status: "created" | "retrieved" | "completed";
}

export interface SimulatedHttpRequest {
  readonly method: string;
  /** The path below the service's base URL, with its query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface SimulatedHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the simulated wallet presents. Anything left out is the requested user's valid credential. */
export interface Presentation {
  /** Face Check's confidence score (0–100). Below the request's threshold the service sends an error. */
  readonly score: number;
  readonly revocationId?: string;
  readonly mail?: string | null;
  readonly issuer?: string;
  readonly type?: string;
  readonly revocationStatus?: string;
}

export interface SimulatedRequestService {
  /** Answers one HTTP request to the token endpoint or the Request Service. */
  readonly handle: (request: SimulatedHttpRequest) => SimulatedHttpResponse;
  /** Every request created, oldest first. */
  readonly requests: () => readonly SimulatedRequest[];
  readonly request: (requestId: string) => SimulatedRequest | undefined;
  /** How many tokens were issued (tests check the adapter caches them). */
  readonly tokensIssued: number;
  /** The next `count` calls to createPresentationRequest answer `status` (429 with Retry-After…). */
  readonly failNext: (status: number, options?: { readonly count?: number; readonly retryAfter?: string }) => void;
  /** The wallet opened the link: a `request_retrieved` callback. Resolves the callback's HTTP status. */
  readonly retrieve: (requestId: string) => Promise<number>;
  /** The wallet presented a credential (after retrieving it, if it had not). */
  readonly present: (requestId: string, presentation: Presentation) => Promise<number>;
  /** The presentation failed with the service's error code (`presentation_error`). */
  readonly fail: (requestId: string, code: string, message?: string) => Promise<number>;
  /** Sends any callback body for a request with its configured headers (a forged or odd service). */
  readonly sendRaw: (requestId: string, body: unknown, headers?: Readonly<Record<string, string>>) => Promise<number>;
  readonly close: () => Promise<void>;
}

export interface SimulatedRequestServiceOptions {
  /** The tenant, app and secret whose client-credentials grant the token endpoint accepts. */
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** This service's own base URL, for the `request_uri` inside the openid-vc:// link. */
  readonly baseUrl: string;
  readonly clock: Clock;
  /** A request's life (the real service's is a few minutes; UNCONFIRMED how many). */
  readonly requestLifetimeSeconds?: number;
}

const did = z.string().regex(/^did:[a-z0-9]+:.+$/);
const constraintSchema = z
  .object({ claimName: z.string().min(1), values: z.array(z.string()).min(1).optional(), contains: z.string().optional(), startsWith: z.string().optional() })
  .refine((c) => [c.values, c.contains, c.startsWith].filter((x) => x !== undefined).length === 1, "pick one of values, contains or startsWith");

const presentationRequestSchema = z.object({
  authority: did,
  includeQRCode: z.boolean().optional(),
  includeReceipt: z.boolean().optional(),
  registration: z.object({ clientName: z.string().min(1), purpose: z.string().optional() }),
  callback: z.object({
    url: z.url({ protocol: /^https?$/ }),
    state: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  requestedCredentials: z
    .array(
      z.object({
        type: z.string().min(1),
        purpose: z.string().optional(),
        acceptedIssuers: z.array(did).optional(),
        configuration: z
          .object({
            validation: z
              .object({
                allowRevoked: z.boolean().optional(),
                validateLinkedDomain: z.boolean().optional(),
                faceCheck: z.object({ sourcePhotoClaimName: z.string().min(1), matchConfidenceThreshold: z.number().int().min(50).max(100).optional() }).optional(),
              })
              .optional(),
          })
          .optional(),
        constraints: z.array(constraintSchema).optional(),
      }),
    )
    .min(1),
});
export type PresentationRequestBody = z.output<typeof presentationRequestSchema>;

const CALLBACK_HEADERS = new Set(["api-key", "authorization"]);
const json = (status: number, body: unknown, headers: Record<string, string> = {}): SimulatedHttpResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body),
});

/** The Request Service's error envelope (error-codes.md): the outer code mirrors the status. */
function requestError(status: number, code: string, inner: { code: string; message: string; target?: string }): SimulatedHttpResponse {
  return json(status, { requestId: randomUUID(), date: new Date().toUTCString(), mscv: "sim", error: { code, message: "The request is invalid.", innererror: inner } });
}

function loginError(status: number, error: string, aadsts: number, description: string): SimulatedHttpResponse {
  return json(status, { error, error_description: `AADSTS${aadsts}: ${description}\r\nTrace ID: ${randomUUID()}`, error_codes: [aadsts] });
}

function header(headers: SimulatedHttpRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Why the documented API would refuse a well-formed body (the rules the schema cannot say). */
function semanticProblem(body: PresentationRequestBody): { target: string; message: string } | undefined {
  const extra = Object.keys(body.callback.headers ?? {}).find((name) => !CALLBACK_HEADERS.has(name.toLowerCase()));
  if (extra !== undefined) return { target: "callback.headers", message: `Invalid callback header '${extra}': only api-key and Authorization are supported.` };
  const faceCheck = body.requestedCredentials.some((c) => c.configuration?.validation?.faceCheck !== undefined);
  if (faceCheck && body.includeReceipt === true) return { target: "includeReceipt", message: "A receipt cannot be requested together with faceCheck." };
  return undefined;
}

export function createSimulatedRequestService(options: SimulatedRequestServiceOptions): SimulatedRequestService {
  const lifetime = options.requestLifetimeSeconds ?? 300;
  const tokens = new Map<string, number>();
  const created = new Map<string, SimulatedRequest>();
  const faults: { status: number; count: number; retryAfter?: string }[] = [];
  // It stands in for Microsoft's service calling Verity back, which has no breaker of Verity's.
  const http = createOutboundClient({ name: "the Verified ID callback receiver", timeoutMs: 10_000, maxRetries: 0, breaker: false });
  let issued = 0;
  const now = () => options.clock.now().getTime();

  const token = (tenant: string, body: string): SimulatedHttpResponse => {
    if (tenant.toLowerCase() !== options.tenantId.toLowerCase()) return loginError(400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== "client_credentials") return loginError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    if (form.get("client_id") !== options.clientId) return loginError(400, "unauthorized_client", 700016, `Application with identifier '${form.get("client_id") ?? ""}' was not found in the directory.`);
    if (form.get("client_secret") !== options.clientSecret) return loginError(401, "invalid_client", 7000215, "Invalid client secret provided.");
    if (form.get("scope") !== VERIFIED_ID_SCOPE) return loginError(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.");
    const value = randomBytes(24).toString("base64url");
    tokens.set(value, now() + 3599_000);
    issued += 1;
    return json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: value });
  };

  const create = (request: SimulatedHttpRequest): SimulatedHttpResponse => {
    const bearer = /^Bearer (.+)$/.exec(header(request.headers, "authorization") ?? "")?.[1];
    const expires = bearer === undefined ? undefined : tokens.get(bearer);
    if (expires === undefined || expires <= now()) return json(401, { requestId: randomUUID(), error: { code: "unauthorized", message: "The requested resource requires authentication", innererror: { code: "tokenError", message: "The access token is missing, invalid or expired." } } });
    const fault = faults[0];
    if (fault !== undefined) {
      fault.count -= 1;
      if (fault.count <= 0) faults.shift();
      const code = { 401: "unauthorized", 403: "forbidden", 429: "tooManyRequests" }[fault.status] ?? (fault.status >= 500 ? "serviceUnavailable" : "badRequest");
      return json(fault.status, { requestId: randomUUID(), error: { code, message: "Simulated failure.", innererror: { code: fault.status === 429 ? "transientError" : "notAuthorized", message: "Simulated failure." } } }, fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
    }
    const parsed = presentationRequestSchema.safeParse(readJson(request.body));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return requestError(400, "badRequest", { code: "badOrMissingField", message: issue?.message ?? "The request is invalid.", target: issue?.path.join(".") ?? "" });
    }
    const problem = semanticProblem(parsed.data);
    if (problem !== undefined) return requestError(400, "badRequest", { code: "badOrMissingField", ...problem });
    const requestId = randomUUID();
    const expiresAt = now() + lifetime * 1000;
    created.set(requestId, {
      requestId,
      tenantId: options.tenantId,
      body: parsed.data,
      createdAt: new Date(now()).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      status: "created",
    });
    const url = `openid-vc://?request_uri=${options.baseUrl}/v1.0/${options.tenantId}/verifiableCredentials/presentationRequests/${requestId}`;
    return json(201, { requestId, url, expiry: Math.floor(expiresAt / 1000) });
  };

  const live = (requestId: string): SimulatedRequest => {
    const found = created.get(requestId);
    if (found === undefined) throw new Error(`no presentation request ${requestId}`);
    if (Date.parse(found.expiresAt) <= now()) throw new Error(`presentation request ${requestId} has expired`);
    return found;
  };

  const send = async (request: SimulatedRequest, body: unknown, extra: Readonly<Record<string, string>> = {}): Promise<number> => {
    const response = await http.request({
      method: "POST",
      url: request.body.callback.url,
      headers: { "content-type": "application/json", ...(request.body.callback.headers ?? {}), ...extra },
      body: JSON.stringify(body),
      retry: "none",
    });
    return response.status;
  };

  const ids = (r: SimulatedRequest) => ({ requestId: r.requestId, state: r.body.callback.state });

  const retrieve = async (requestId: string) => {
    const request = live(requestId);
    request.status = "retrieved";
    return send(request, { ...ids(request), requestStatus: "request_retrieved" });
  };

  return {
    handle(request) {
      const path = request.path.split("?")[0] ?? "";
      const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
      if (request.method === "POST" && tokenPath?.[1] !== undefined) return token(decodeURIComponent(tokenPath[1]), request.body);
      if (request.method === "POST" && path === "/v1.0/verifiableCredentials/createPresentationRequest") return create(request);
      return json(404, { error: { code: "notFound", message: "The requested resource doesn't exist." } });
    },
    requests: () => [...created.values()],
    request: (requestId) => created.get(requestId),
    get tokensIssued() {
      return issued;
    },
    failNext(status, opts = {}) {
      faults.push({ status, count: opts.count ?? 1, ...(opts.retryAfter === undefined ? {} : { retryAfter: opts.retryAfter }) });
    },
    retrieve,
    async present(requestId, presentation) {
      const request = live(requestId);
      if (request.status === "created") await retrieve(requestId);
      request.status = "completed";
      const asked = request.body.requestedCredentials[0];
      const threshold = asked?.configuration?.validation?.faceCheck?.matchConfidenceThreshold ?? 70;
      if (presentation.score < threshold) {
        return send(request, { ...ids(request), requestStatus: "presentation_error", error: { code: "claimValidationError", message: "Match confidence score failing to meet the threshold." } });
      }
      const upn = presentation.revocationId ?? asked?.constraints?.find((c) => c.claimName === "revocationId")?.values?.[0] ?? "someone@example.com";
      return send(request, {
        ...ids(request),
        requestStatus: "presentation_verified",
        subject: `did:web:wallet.example:${randomUUID()}`,
        verifiedCredentialsData: [
          {
            issuer: presentation.issuer ?? asked?.acceptedIssuers?.[0] ?? request.body.authority,
            type: ["VerifiableCredential", presentation.type ?? asked?.type ?? "VerifiedEmployee"],
            claims: {
              revocationId: upn,
              displayName: "Simulated Employee",
              ...(presentation.mail === null ? {} : { mail: presentation.mail ?? upn }),
              // A stand-in for the JPEG photo claim (UrlEncode(Base64Encode(JPEG))): Verity must drop it.
              photo: encodeURIComponent(Buffer.from("simulated photo").toString("base64")),
            },
            credentialState: { revocationStatus: presentation.revocationStatus ?? "VALID" },
            domainValidation: { url: "https://verifiedid.example/" },
            issuanceDate: new Date(now() - 86_400_000).toISOString(),
            expirationDate: new Date(now() + 180 * 86_400_000).toISOString(),
            faceCheck: { matchConfidenceScore: presentation.score, sourcePhotoQuality: "HIGH" },
          },
        ],
      });
    },
    async fail(requestId, code, message = "The presentation failed.") {
      const request = live(requestId);
      request.status = "completed";
      return send(request, { ...ids(request), requestStatus: "presentation_error", error: { code, message } });
    },
    sendRaw: (requestId, body, headers) => {
      const request = created.get(requestId);
      if (request === undefined) throw new Error(`no presentation request ${requestId}`);
      return send(request, body, headers);
    },
    close: () => http.close(),
  };
}
