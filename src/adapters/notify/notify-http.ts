import type { Logger } from "pino";
import { VerityError } from "../../domain/errors.js";
import type { DeliveryOutcome } from "../../domain/notifications.js";
import { createOutboundClient, OutboundError, retryAfterMs, type OutboundResponse } from "../http/outbound.js";

/** Standard Webhooks asks senders to wait 15 to 30 s for an answer. */
export const NOTIFY_TIMEOUT_MS = 15_000;
/** A Retry-After further out than this is capped: the durable queue gives up on its own schedule. */
const MAX_RETRY_AFTER_SECONDS = 6 * 3600;

export interface NotifyPoster {
  /**
   * POSTs one JSON body once (the durable queue does the retrying) and judges the answer:
   * 2xx delivered, 410 gone, 408/429/5xx and transport failures NOTIFICATION_FAILED (with the
   * Retry-After, in seconds or as an HTTP date), anything else as the destination's rules say.
   */
  post(url: string, headers: Readonly<Record<string, string>>, body: string, now: Date): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

export function createNotifyPoster(options: {
  readonly label: string;
  /**
   * Whether 3xx and 4xx answers (but 408 and 429) are final. Standard Webhooks retries every
   * failure; a chat service's 400 `invalid_payload` will never change by waiting.
   */
  readonly clientErrorsAreFinal: boolean;
  /** A 2xx body the service must answer to mean success (Slack's `ok`). */
  readonly successBody?: string;
  readonly timeoutMs?: number;
  readonly log?: Pick<Logger, "warn" | "debug">;
  /** Milliseconds since the epoch, for the destination's circuit breaker: the app's clock (the system clock by default). */
  readonly now?: () => number;
}): NotifyPoster {
  const { label } = options;
  // One attempt per call and no redirects (undici's request follows none): the queue retries,
  // and a redirect could carry a signed body or a secret URL's traffic somewhere unconfigured.
  const client = createOutboundClient({
    name: label,
    timeoutMs: options.timeoutMs ?? NOTIFY_TIMEOUT_MS,
    connectTimeoutMs: Math.min(5000, options.timeoutMs ?? NOTIFY_TIMEOUT_MS),
    maxRetries: 0,
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return {
    async post(url, headers, body, now) {
      let response: OutboundResponse;
      try {
        response = await client.request({ method: "POST", url, headers: { ...headers, "content-type": "application/json" }, body, retry: "none" });
      } catch (error) {
        // No cause: undici's errors can carry the URL, and these URLs are credentials.
        if (error instanceof OutboundError) throw new VerityError("NOTIFICATION_FAILED", { message: error.message });
        throw error;
      }
      return judge(response, now);
    },
    close: () => client.close(),
  };

  function judge(response: OutboundResponse, now: Date): DeliveryOutcome {
    const { status } = response;
    const said = serviceCode(response.text);
    const answered = `${label} answered ${status}${said === undefined ? "" : ` ${said}`}`;
    if (status >= 200 && status <= 299) {
      if (options.successBody === undefined || response.text.trim() === options.successBody) return "delivered";
      throw new VerityError("NOTIFICATION_FAILED", { message: `${answered} without '${options.successBody}'.` });
    }
    if (status === 410) return "gone";
    if (status === 408 || status === 429 || status >= 500) {
      const waitMs = retryAfterMs(response.headers["retry-after"], now.getTime());
      throw new VerityError("NOTIFICATION_FAILED", {
        message: `${answered}.`,
        ...(waitMs === undefined ? {} : { retryAfterSeconds: Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(waitMs / 1000)) }),
      });
    }
    const why = status >= 300 && status <= 399 ? `${answered} (a redirect, which is not followed: configure the final URL).` : `${answered}.`;
    throw new VerityError(options.clientErrorsAreFinal ? "NOTIFICATION_REFUSED" : "NOTIFICATION_FAILED", { message: why });
  }
}

/**
 * A service's own error word, when it sends one (Slack's `invalid_payload`, a workflow's
 * `{"error":{"code":"…"}}`): a short token only, so no echoed text reaches logs or the audit.
 */
function serviceCode(text: string): string | undefined {
  const token = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
  const trimmed = text.trim();
  if (token.test(trimmed)) return trimmed;
  try {
    const parsed = JSON.parse(trimmed) as { error?: unknown };
    const code = typeof parsed.error === "object" && parsed.error !== null && "code" in parsed.error ? parsed.error.code : parsed.error;
    return typeof code === "string" && token.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
