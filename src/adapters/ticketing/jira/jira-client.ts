import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import { readJson } from "../../http/json.js";
import { createJsonApi } from "../shared/json-api.js";
import type { OutboundClientOptions } from "../../http/outbound.js";
import { createOutboundClient } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import type { JsmConfig } from "./jira-config.js";
import type { JsmOperation } from "./jira-errors.js";
import { jsmApiError, jsmTransportError, jsmUnreadable } from "./jira-errors.js";
import type { JiraUser, JsmComment, JsmRequest } from "./jira-schemas.js";
import { jiraUserSchema, jsmCommentPageSchema, jsmCommentSchema, jsmInfoSchema, jsmRequestSchema } from "./jira-schemas.js";

export type { JiraUser, JsmComment, JsmRequest } from "./jira-schemas.js";

/** Jira keeps comments to 32,767 characters; longer notes are refused before they are sent. */
const MAX_COMMENT = 32_767;

/** One page of a request's comments. */
export interface JsmCommentPage {
  readonly comments: readonly JsmComment[];
  /** Where the next page starts; null on the last page. */
  readonly next: number | null;
}

/** The Jira Cloud calls Verity makes, as the configured agent account. */
export interface JsmClient {
  /**
   * `GET /rest/servicedeskapi/request/{issueIdOrKey}`.
   * @throws VerityError TICKET_NOT_FOUND, UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE
   */
  getRequest(ticket: string): Promise<JsmRequest>;
  /**
   * `POST /rest/servicedeskapi/request/{issueIdOrKey}/comment` with `public: false`: an internal
   * comment agents see and customers do not. Sent once; on failure `details.ambiguous` says whether
   * the comment may exist anyway.
   */
  addInternalComment(ticket: string, body: string): Promise<{ id: string | null }>;
  /** One page of the request's internal comments (`internal=true&public=false`). */
  listInternalComments(ticket: string, start: number, limit: number): Promise<JsmCommentPage>;
  /** `GET /rest/api/3/user?accountId=`; null when Jira has no such user. */
  getUser(accountId: string): Promise<JiraUser | null>;
  /** `GET /rest/api/3/myself` then `GET /rest/servicedeskapi/info`; writes nothing, never rejects. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface JsmClientDeps {
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Tunes the outbound client's retry budget and backoff (defaults: 3 retries, 200 ms base). */
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
  /** Milliseconds since the epoch, for the circuit breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}

/**
 * Jira's 429s carry Retry-After; some carry only X-RateLimit-Reset, an ISO 8601 time
 * (`yyyy-MM-ddTHH:mmZ`), which is read when Retry-After is missing.
 */
function rateLimitReset(headers: Readonly<Record<string, string>>): number | undefined {
  const reset = headers["x-ratelimit-reset"];
  const at = reset === undefined ? Number.NaN : Date.parse(reset);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Creates the Jira Service Management client: Basic `email:apiToken`, bounded retries for reads
 * (429 honours Retry-After), and one attempt for a comment (retried only on a 429).
 *
 * @example
 * ```ts
 * const jsm = createJsmClient(jsmConfigSchema.parse(raw), { log });
 * const { reporter } = await jsm.getRequest("ITS-42");
 * ```
 */
export function createJsmClient(config: JsmConfig, deps: JsmClientDeps): JsmClient {
  const http = createOutboundClient({
    name: "Jira Service Management",
    timeoutMs: config.timeoutMs,
    log: deps.log,
    retryDelayFromHeaders: rateLimitReset,
    ...deps.retry,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const authorization = `Basic ${Buffer.from(`${config.auth.email}:${config.auth.apiToken.reveal()}`, "utf8").toString("base64")}`;

  const { call, read } = createJsonApi<JsmOperation>({
    http,
    baseUrl: config.siteUrl,
    service: "Jira Service Management",
    log: deps.log,
    authorization: () => authorization,
    errors: { transport: jsmTransportError, api: (response, op) => jsmApiError(response, op, config.siteUrl), unreadable: (op) => jsmUnreadable(op, config.siteUrl) },
  });

  const requestPath = (ticket: string) => `/rest/servicedeskapi/request/${encodeURIComponent(ticket)}`;

  return {
    getRequest(ticket) {
      return read({ method: "GET", path: requestPath(ticket), retry: "idempotent" }, { label: `read request ${ticket}`, kind: "request", ticket }, jsmRequestSchema);
    },
    async addInternalComment(ticket, body) {
      if (body.trim() === "" || body.length > MAX_COMMENT) {
        throw new VerityError("VALIDATION_FAILED", { message: `A comment must be 1 to ${MAX_COMMENT} characters.` });
      }
      const op: JsmOperation = { label: `add an internal comment to ${ticket}`, kind: "note", ticket };
      const response = await call({ method: "POST", path: `${requestPath(ticket)}/comment`, body: JSON.stringify({ body, public: false }), retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw jsmApiError(response, op, config.siteUrl);
      const created = jsmCommentSchema.safeParse(readJson(response.text));
      return { id: created.success ? created.data.id : null };
    },
    async listInternalComments(ticket, start, limit) {
      const page = await read(
        {
          method: "GET",
          path: `${requestPath(ticket)}/comment`,
          query: { internal: "true", public: "false", start: String(start), limit: String(limit) },
          retry: "idempotent",
        },
        { label: `list the comments of ${ticket}`, kind: "comments", ticket },
        jsmCommentPageSchema,
      );
      const comments = page.values.flatMap((value) => {
        const parsed = jsmCommentSchema.safeParse(value);
        return parsed.success ? [parsed.data] : [];
      });
      // isLastPage absent or an empty page counts as the last: never loop on a page that moves nothing.
      const last = page.isLastPage !== false || page.values.length === 0;
      return { comments, next: last ? null : (page.start ?? start) + page.values.length };
    },
    getUser(accountId) {
      return read(
        { method: "GET", path: "/rest/api/3/user", query: { accountId }, retry: "idempotent" },
        { label: "read a user", kind: "user" },
        jiraUserSchema.nullable(),
        () => null,
      );
    },
    probe: () =>
      probeWith(async () => {
        const me = await read({ method: "GET", path: "/rest/api/3/myself", retry: "idempotent" }, { label: "read its own account (a connection test)", kind: "test" }, jiraUserSchema);
        const info = await read({ method: "GET", path: "/rest/servicedeskapi/info", retry: "idempotent" }, { label: "read the service desk API's version", kind: "test" }, jsmInfoSchema);
        const who = me.displayName ?? me.accountId;
        return `${config.siteUrl} accepted the API token of ${config.auth.email} (${who}); Jira Service Management ${info.version ?? "(version not given)"} answers. Nothing was written.`;
      }),
    close: () => http.close(),
  };
}
