import type { Logger } from "pino";
import type { Notifier } from "../../../domain/notifications.js";
import { destinationLabel, type ChatDestinationConfig } from "../notify-config.js";
import { createNotifyPoster } from "../notify-http.js";
import { teamsMessage } from "./teams-card.js";

/**
 * Posts an Adaptive Card to a Teams Workflow's webhook trigger. The URL is the only credential
 * (its `sig=`), so it is revealed only here. A workflow accepts with 202 (any 2xx is taken); a
 * 4xx will not change by waiting and ends the message; 410 disables the destination.
 */
export function createTeamsNotifier(config: ChatDestinationConfig, deps: { timeoutMs?: number; log?: Pick<Logger, "warn" | "debug">; now?: () => number }): Notifier {
  const label = destinationLabel(config);
  const poster = createNotifyPoster({
    label,
    clientErrorsAreFinal: true,
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    ...(deps.log === undefined ? {} : { log: deps.log }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  return {
    kind: "teams",
    label,
    deliver: (message, attempt) => poster.post(config.url.reveal(), {}, JSON.stringify(teamsMessage(message)), attempt.now),
    close: () => poster.close(),
  };
}
