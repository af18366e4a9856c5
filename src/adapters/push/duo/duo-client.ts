import type { Logger } from "pino";
import type { z } from "zod";
import type { Clock } from "../../../domain/ports.js";
import { createOutboundClient, OutboundError, type OutboundClientOptions, type RetryMode } from "../../http/outbound.js";
import { signedHost, type DuoConfig } from "./duo-config.js";
import { errorFromResponse, errorFromTransport, unreadableAnswer, type DuoCallContext } from "./duo-errors.js";
import { parseJson } from "../../http/json.js";
import { duoEnvelopeSchema } from "./duo-schemas.js";
import { canonParams, duoAuthorization, rfc2822Date, type DuoParams } from "./duo-signing.js";

export interface DuoCall extends DuoCallContext {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly params: DuoParams;
  readonly retry: RetryMode;
  /** Overrides the configured timeout (the auth_status long poll). */
  readonly timeoutMs?: number;
}

export interface DuoClientDeps {
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Tunes the outbound client's retry budget and backoff (defaults: 3 retries, 200 ms base). */
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
}

export interface DuoClient {
  /**
   * Signs and sends one Auth API call and returns its `response`, parsed with `schema`.
   * @throws VerityError mapped from Duo's `{stat: "FAIL"}` answers and from transport failures
   */
  call<T>(call: DuoCall, schema: z.ZodType<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A small Duo Auth API client: v2 signatures (HMAC-SHA512 over the canonical request, Date from
 * the injected clock), parameters in the query string for GET and as a form body for POST, sent
 * exactly as signed. Duo's own SDK cannot be used: it pins Duo's CA bundle and port 443.
 */
export function createDuoClient(config: DuoConfig, deps: DuoClientDeps): DuoClient {
  const http = createOutboundClient({ name: "Duo", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, now: () => deps.clock.now().getTime() });
  const host = signedHost(config);

  return {
    async call(call, schema) {
      const date = rfc2822Date(deps.clock.now());
      const encoded = canonParams(call.params);
      const authorization = duoAuthorization(config.integrationKey, config.secretKey.reveal(), {
        method: call.method,
        host,
        path: call.path,
        params: call.params,
        date,
      });
      const isPost = call.method === "POST";
      let response;
      try {
        response = await http.request({
          method: call.method,
          url: `${config.baseUrl}${call.path}${!isPost && encoded !== "" ? `?${encoded}` : ""}`,
          headers: {
            date,
            authorization,
            accept: "application/json",
            ...(isPost ? { "content-type": "application/x-www-form-urlencoded" } : {}),
          },
          ...(isPost ? { body: encoded } : {}),
          retry: call.retry,
          ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
        });
      } catch (error) {
        if (!(error instanceof OutboundError)) throw error;
        deps.log.warn({ provider: "duo", path: call.path, kind: error.kind }, "Duo gave no answer");
        throw errorFromTransport(error, call);
      }
      if (response.status >= 200 && response.status < 300) {
        const envelope = parseJson(duoEnvelopeSchema, response.text);
        const parsed = envelope?.stat === "OK" ? schema.safeParse(envelope.response) : undefined;
        if (parsed?.success === true) return parsed.data;
        deps.log.warn({ provider: "duo", path: call.path, status: response.status }, "Duo's answer could not be read");
        throw unreadableAnswer(call);
      }
      const mapped = errorFromResponse(response, call);
      deps.log.warn({ provider: "duo", path: call.path, status: response.status, code: mapped.code, details: mapped.details }, "Duo refused a request");
      throw mapped;
    },
    close: () => http.close(),
  };
}
