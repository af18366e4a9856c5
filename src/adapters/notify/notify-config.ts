import { z } from "zod";
import { secretString } from "../../config/fields.js";
import { NOTIFICATION_EVENT_TYPES, NOTIFICATION_OUTCOMES } from "../../domain/notifications.js";
import { webhookSecretKey } from "../http/standard-webhooks.js";

const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?(\/|$)/i;
const HTTPS_RULE = "must be an https:// URL (http only for 127.0.0.1 or localhost)";

function isDestinationUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "") return false;
  return url.protocol === "https:" || LOOPBACK_HTTP.test(value);
}

/** A URL that is itself the credential (a Teams workflow's `sig=`, Slack's `/services/T…/B…/…`). */
const secretUrl = secretString.refine((s) => isDestinationUrl(s.reveal()), `${HTTPS_RULE}; it is a credential, so give it as \${ENV_NAME} or \${file:/path}`);

const common = {
  /** Tells two destinations of one kind apart in logs and on the integrations page. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}$/, "letters, digits, spaces, dots, hyphens and underscores (at most 60)")
    .optional(),
  /** The event types sent; absent: all of them. */
  events: z
    .array(z.enum(NOTIFICATION_EVENT_TYPES, { error: `must be one of ${NOTIFICATION_EVENT_TYPES.join(", ")}` }))
    .min(1, "list at least one event type, or leave the setting out")
    .optional(),
  /** `verification.completed` only for these outcomes (e.g. [fraud, denied, failed]); absent: every outcome. */
  outcomes: z
    .array(z.enum(NOTIFICATION_OUTCOMES, { error: `must be one of ${NOTIFICATION_OUTCOMES.join(", ")}` }))
    .min(1, "list at least one outcome, or leave the setting out")
    .optional(),
};

/** A Standard Webhooks receiver: signed JSON, retried for two days. */
const webhookDestination = z.strictObject({
  kind: z.literal("webhook"),
  url: z.string().refine(isDestinationUrl, HTTPS_RULE),
  secret: secretString.refine(
    (s) => webhookSecretKey(s.reveal()) !== undefined,
    "must be a Standard Webhooks secret: whsec_ followed by the base64 of 24 to 64 random bytes (e.g. `echo whsec_$(openssl rand -base64 32)`)",
  ),
  ...common,
});

/** A Power Automate "When a Teams webhook request is received" workflow that posts an Adaptive Card. */
const teamsDestination = z.strictObject({ kind: z.literal("teams"), url: secretUrl, ...common });

/** A Slack incoming webhook (https://hooks.slack.com/services/…). */
const slackDestination = z.strictObject({ kind: z.literal("slack"), url: secretUrl, ...common });

export const notificationDestinationSchema = z.discriminatedUnion("kind", [webhookDestination, teamsDestination, slackDestination], {
  error: "kind must be webhook, teams or slack",
});
export type NotificationDestinationConfig = z.output<typeof notificationDestinationSchema>;
export type WebhookDestinationConfig = z.output<typeof webhookDestination>;
export type ChatDestinationConfig = z.output<typeof teamsDestination> | z.output<typeof slackDestination>;

/**
 * A `notifications` list: at the top level it applies to every tenant; under a tenant, to that
 * tenant only (both apply).
 *
 * @example
 * ```yaml
 * notifications:
 *   - { kind: webhook, url: https://siem.example.com/hooks/verity, secret: ${VERITY_EVENTS_SECRET} }
 * tenants:
 *   - id: contoso
 *     notifications:
 *       - { kind: teams, url: ${CONTOSO_TEAMS_WORKFLOW_URL} }
 *       - { kind: slack, url: ${CONTOSO_SLACK_WEBHOOK_URL}, events: [verification.fraud_reported] }
 * ```
 */
export const notificationsSchema = z.array(notificationDestinationSchema).max(20, "at most 20 destinations per list").default([]);

/** The URL of a destination, revealed only to send to it. */
export function destinationUrl(destination: NotificationDestinationConfig): string {
  return typeof destination.url === "string" ? destination.url : destination.url.reveal();
}

/** How a destination is named in logs, audit events and pages: its kind, name and origin, never the rest of its URL. */
export function destinationLabel(destination: NotificationDestinationConfig): string {
  const origin = new URL(destinationUrl(destination)).origin;
  return `${destination.kind}${destination.name === undefined ? "" : ` "${destination.name}"`} ${origin}`;
}
