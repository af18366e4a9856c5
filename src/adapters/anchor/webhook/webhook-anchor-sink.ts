import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { AnchorSink, Clock } from "../../../domain/ports.js";
import { createOutboundClient, OutboundError } from "../../http/outbound.js";
import { signStandardWebhook } from "../../http/standard-webhooks.js";
import { anchorSinkLabel, type WebhookAnchorSinkConfig } from "../anchor-config.js";

/**
 * POSTs each anchor as JSON, signed per Standard Webhooks. The message id is derived from the
 * head, so a receiver that deduplicates by `webhook-id` keeps one copy of each head however often
 * it is sent. Any 2xx is taken; anything else is retried at the next interval.
 */
export function createWebhookAnchorSink(
  config: WebhookAnchorSinkConfig,
  deps: { clock: Clock; log?: Pick<Logger, "warn" | "debug"> },
): AnchorSink {
  const label = anchorSinkLabel(config);
  // Resending an anchor is harmless, so transport failures and 5xx may be retried a little.
  const client = createOutboundClient({
    name: `anchor webhook ${label}`,
    timeoutMs: config.timeoutMs,
    maxRetries: 2,
    now: () => deps.clock.now().getTime(),
    ...(deps.log === undefined ? {} : { log: deps.log }),
  });
  return {
    kind: "webhook",
    label,
    async write(anchor) {
      const body = JSON.stringify(anchor);
      const headers = signStandardWebhook({
        secret: config.secret.reveal(),
        id: `anchor_${anchor.seq}_${anchor.hash.slice(0, 16)}`,
        timestampSeconds: deps.clock.now().getTime() / 1000,
        body,
      });
      let status: number;
      try {
        ({ status } = await client.request({
          method: "POST",
          url: config.url,
          headers: { ...headers, "content-type": "application/json" },
          body,
          retry: "idempotent",
        }));
      } catch (error) {
        // No cause: undici's errors can carry the URL, and a URL may hold credentials.
        if (error instanceof OutboundError) throw new VerityError("ANCHOR_SINK_FAILED", { message: error.message });
        throw error;
      }
      if (status < 200 || status > 299) {
        throw new VerityError("ANCHOR_SINK_FAILED", { message: `The anchor webhook ${label} answered ${status}.` });
      }
    },
    close: () => client.close(),
  };
}
