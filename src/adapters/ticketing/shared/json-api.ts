import type { Logger } from "pino";
import type { z } from "zod";
import { readJson } from "../../http/json.js";
import { OutboundError, type OutboundClient, type OutboundResponse, type RetryMode } from "../../http/outbound.js";

/** One call to a ticketing system's JSON API, relative to its base URL. */
export interface ApiCall {
  readonly method: "GET" | "POST" | "PUT" | "PATCH";
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** JSON text; sent with `content-type: application/json`. */
  readonly body?: string;
  readonly retry: RetryMode;
}

/** How a vendor's failures become Verity's errors (TICKET_NOT_FOUND, TICKETING_UNAVAILABLE…). */
export interface JsonApiErrors<Op> {
  /** The request never got an answer (timeout, reset, refused connection). */
  transport(error: OutboundError, op: Op): Error;
  /** A status outside 2xx. */
  api(response: OutboundResponse, op: Op): Error;
  /** A 2xx whose body is not what the vendor documents. */
  unreadable(op: Op): Error;
}

export interface JsonApiOptions<Op> {
  readonly http: OutboundClient;
  /** Prefixed to every call's path (no trailing slash). */
  readonly baseUrl: string;
  /** The product, for log lines. */
  readonly service: string;
  readonly log: Pick<Logger, "warn">;
  /** The `authorization` header's value, fetched (or read from a cache) before each call. */
  authorization(): string | Promise<string>;
  /**
   * For credentials that expire (OAuth tokens): forgets one the system refused. When set, a 401
   * gets one more attempt with a fresh value: a 401 means the system did not act on the request,
   * so even a note may be sent again.
   */
  readonly invalidate?: (authorization: string) => void;
  /** Headers every call carries besides authorization and accept (ConnectWise's `clientId`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly errors: JsonApiErrors<Op>;
}

export interface JsonApi<Op> {
  /** The call as the system answered it (any status); transport failures are thrown as `errors.transport`. */
  readonly call: (request: ApiCall, op: Op) => Promise<OutboundResponse>;
  /**
   * A 2xx body parsed by `schema`; with `missing`, a 404 is its value (a user that does not exist).
   * @throws `errors.api` for other statuses, `errors.unreadable` for a body the schema refuses
   */
  readonly read: <T>(request: ApiCall, op: Op, schema: z.ZodType<T>, missing?: () => T) => Promise<T>;
  /** `read`, with the response (for paging headers such as `Link`). */
  readonly readWithResponse: <T>(request: ApiCall, op: Op, schema: z.ZodType<T>, missing?: () => T) => Promise<{ data: T; response: OutboundResponse }>;
}

/**
 * The request/parse plumbing every ticketing client shares, over the one outbound HTTP client
 * (timeouts, retry modes, Retry-After): URL and query, JSON headers, the vendor's errors mapped,
 * bodies parsed with zod, and one retry with fresh credentials after a 401 where they expire.
 *
 * @example
 * ```ts
 * const api = createJsonApi<CwOperation>({ http, baseUrl: config.apiUrl, service: "ConnectWise", log,
 *   authorization: () => basic, headers: { clientid: config.clientId }, errors: { transport, api, unreadable } });
 * const ticket = await api.read({ method: "GET", path: "/service/tickets/42", retry: "idempotent" }, op, cwTicketSchema);
 * ```
 */
export function createJsonApi<Op extends { readonly kind: string }>(options: JsonApiOptions<Op>): JsonApi<Op> {
  const { http, errors } = options;

  const send = async (request: ApiCall, op: Op, authorization: string): Promise<OutboundResponse> => {
    const url = new URL(`${options.baseUrl}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    try {
      return await http.request({
        method: request.method,
        url,
        headers: {
          authorization,
          ...options.headers,
          accept: "application/json",
          ...(request.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
        },
        ...(request.body === undefined ? {} : { body: request.body }),
        retry: request.retry,
      });
    } catch (error) {
      if (error instanceof OutboundError) throw errors.transport(error, op);
      throw error;
    }
  };

  const call = async (request: ApiCall, op: Op): Promise<OutboundResponse> => {
    const authorization = await options.authorization();
    const response = await send(request, op, authorization);
    if (response.status !== 401 || options.invalidate === undefined) return response;
    options.invalidate(authorization);
    options.log.warn({ service: options.service, operation: op.kind }, `${options.service} refused the access token; fetching a new one`);
    return send(request, op, await options.authorization());
  };

  const readWithResponse = async <T>(request: ApiCall, op: Op, schema: z.ZodType<T>, missing?: () => T): Promise<{ data: T; response: OutboundResponse }> => {
    const response = await call(request, op);
    if (response.status === 404 && missing !== undefined) return { data: missing(), response };
    if (response.status < 200 || response.status > 299) throw errors.api(response, op);
    const parsed = schema.safeParse(readJson(response.text));
    if (!parsed.success) throw errors.unreadable(op);
    return { data: parsed.data, response };
  };

  return {
    call,
    readWithResponse,
    read: async (request, op, schema, missing) => (await readWithResponse(request, op, schema, missing)).data,
  };
}
