import type { Logger } from "pino";
import type { Notifier } from "../../../domain/notifications.js";
import { destinationLabel, type ChatDestinationConfig } from "../notify-config.js";
import { createNotifyPoster } from "../notify-http.js";
import { slackMessage } from "./slack-message.js";

/**
 * Posts `{text, blocks}` to a Slack incoming webhook. Unlike Slack's Web API, a webhook answers
 * success as 200 with the plain-text body `ok` and errors by status with a word such as
 * `invalid_payload` (final) or 429 with Retry-After (retried then).
 */
export function createSlackNotifier(config: ChatDestinationConfig, deps: { timeoutMs?: number; log?: Pick<Logger, "warn" | "debug">; now?: () => number }): Notifier {
  const label = destinationLabel(config);
  const poster = createNotifyPoster({
    label,
    clientErrorsAreFinal: true,
    successBody: "ok",
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    ...(deps.log === undefined ? {} : { log: deps.log }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  return {
    kind: "slack",
    label,
    deliver: (message, attempt) => poster.post(config.url.reveal(), {}, JSON.stringify(slackMessage(message)), attempt.now),
    close: () => poster.close(),
  };
}
