import type { Logger } from "pino";
import type { Notifier } from "../../../domain/notifications.js";
import { signStandardWebhook } from "../../http/standard-webhooks.js";
import { destinationLabel, type WebhookDestinationConfig } from "../notify-config.js";
import { createNotifyPoster } from "../notify-http.js";

/**
 * POSTs each message as JSON signed per Standard Webhooks: `webhook-id` is the message's own id
 * (the same on every retry, so the receiver deduplicates by it), `webhook-timestamp` the attempt's
 * time in seconds, `webhook-signature` `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`.
 *
 * @example
 * const notifier = createWebhookNotifier({ kind: "webhook", url, secret }, {});
 * await notifier.deliver(message, { messageId: "msg_…", now: new Date() }); // "delivered" | "gone"
 */
export function createWebhookNotifier(config: WebhookDestinationConfig, deps: { timeoutMs?: number; log?: Pick<Logger, "warn" | "debug">; now?: () => number }): Notifier {
  const label = destinationLabel(config);
  const poster = createNotifyPoster({
    label,
    clientErrorsAreFinal: false,
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    ...(deps.log === undefined ? {} : { log: deps.log }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  return {
    kind: "webhook",
    label,
    deliver(message, attempt) {
      const body = JSON.stringify(message);
      const headers = signStandardWebhook({ secret: config.secret.reveal(), id: attempt.messageId, timestampSeconds: attempt.now.getTime() / 1000, body });
      return poster.post(config.url, headers, body, attempt.now);
    },
    close: () => poster.close(),
  };
}
