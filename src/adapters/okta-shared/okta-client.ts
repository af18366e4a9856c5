import type { Logger } from "pino";
import type { z } from "zod";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createOutboundClient, type OutboundResponse, type RetryMode } from "../http/outbound.js";
import { createOktaAuthorizer } from "./okta-auth.js";
import { readRateLimit } from "./okta-rate-limit.js";
import type { OktaConnection } from "./okta-connection.js";
import { apiFailure, unreachable, type OktaCallContext } from "./okta-errors.js";
import { parseJson } from "../http/json.js";

/** Okta shows the User-Agent in the push's context, so it names Verity and what it is for. */
export const OKTA_USER_AGENT = "Verity/1.0 (service desk caller verification)";

export interface OktaCall {
  readonly method: "GET" | "POST" | "DELETE";
  /** An absolute URL on the org: built from `orgUrl`, or a `_links` href already checked. */
  readonly url: string;
  /** A JSON body, or none (a push without number challenge sends no body). */
  readonly json?: unknown;
  readonly retry: RetryMode;
  /** What Verity is doing, for error messages: "send an Okta Verify push to jane@acme.com". */
  readonly action: string;
  readonly scope: OktaCallContext["scope"];
  /** What a call that may have arrived could have done, for the wording of a transport error. */
  readonly effect?: "none" | "push" | "passcode";
}

export interface OktaClient {
  readonly orgUrl: string;
  /** Sends one call with credentials; any HTTP status comes back, a missing answer throws. */
  send(call: OktaCall): Promise<OutboundResponse>;
  /** GETs `url` and parses a 200 with `schema`; other statuses become Verity errors. */
  read<T>(call: Omit<OktaCall, "method" | "retry" | "json">, schema: z.ZodType<T>): Promise<T>;
  /** The Verity error for an answer that is not a success. */
  failure(response: OutboundResponse, call: Pick<OktaCall, "action" | "scope">): VerityError;
  /** Drops the cached access token, so the next call fetches a new one (a connection test). */
  forgetToken(): void;
  close(): Promise<void>;
}

/**
 * The Okta Management API as Verity calls it: one outbound client (timeouts, bounded retries),
 * the org's credentials on every call, and one fresh access token when Okta refuses a cached one.
 * Headers and bodies are never logged, so the token and passcodes stay out of logs.
 */
export function createOktaClient(config: OktaConnection, deps: { readonly clock: Clock; readonly log: Pick<Logger, "warn" | "debug"> }): OktaClient {
  const http = createOutboundClient({
    name: "Okta",
    timeoutMs: config.timeoutMs,
    log: deps.log,
    now: () => deps.clock.now().getTime(),
    // A 429 carries no Retry-After: wait for X-Rate-Limit-Reset when it is near, so retries leave
    // the spent window; a farther reset comes back as PROVIDER_UNAVAILABLE with the time to wait
    // (the push poller honours it) rather than holding a technician's request.
    maxRetryAfterMs: 2000,
    retryDelayFromHeaders: (headers) => {
      const reading = readRateLimit(headers, deps.clock.now().getTime());
      return reading === undefined ? undefined : Math.max(0, reading.resetAtMs - reading.nowMs) + 1000;
    },
  });
  const authorizer = createOktaAuthorizer({ config, http, clock: deps.clock, log: deps.log });
  const nowMs = () => deps.clock.now().getTime();

  const failure = (response: OutboundResponse, call: Pick<OktaCall, "action" | "scope">) =>
    apiFailure(response, { auth: config.auth, action: call.action, scope: call.scope, nowMs: nowMs() });

  const attempt = async (call: OktaCall): Promise<OutboundResponse> => {
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: await authorizer.header(),
      "user-agent": OKTA_USER_AGENT,
      ...(call.json === undefined ? {} : { "content-type": "application/json" }),
    };
    try {
      return await http.request({
        method: call.method,
        url: call.url,
        headers,
        ...(call.json === undefined ? {} : { body: JSON.stringify(call.json) }),
        retry: call.retry,
      });
    } catch (error) {
      throw unreachable(error, call.action, call.effect ?? "none");
    }
  };

  const send = async (call: OktaCall): Promise<OutboundResponse> => {
    const response = await attempt(call);
    // Okta processes nothing it answers 401, so one retry with a fresh token duplicates nothing.
    if (response.status === 401 && authorizer.invalidate()) {
      deps.log.debug({ service: "Okta" }, "Okta refused the cached access token; fetching a new one");
      return attempt(call);
    }
    return response;
  };

  return {
    orgUrl: config.orgUrl,
    send,
    async read(call, schema) {
      const response = await send({ ...call, method: "GET", retry: "idempotent" });
      if (response.status !== 200) throw failure(response, call);
      const parsed = parseJson(schema, response.text);
      if (parsed === undefined) {
        throw new VerityError("PROVIDER_ERROR", { message: `Okta answered in a form Verity cannot read while it tried to ${call.action}.` });
      }
      return parsed;
    },
    failure,
    forgetToken: () => {
      authorizer.invalidate();
    },
    close: () => http.close(),
  };
}
