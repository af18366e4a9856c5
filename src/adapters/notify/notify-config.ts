import { z } from "zod";
import { secretString } from "../../config/fields.js";
import { NOTIFICATION_EVENT_TYPES, NOTIFICATION_OUTCOMES } from "../../domain/notifications.js";
import { maskEmail } from "../../domain/masking.js";
import { isPlainAddress } from "../channel/email-shared/email-message.js";
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

/**
 * Email through one of the configured email providers (kind smtp, graph-mail or console; the one
 * that carries email codes will do): to fixed addresses (the security team), to the caller's
 * manager (`notifyManager`, SECURITY.md item 20), or both. By default only fraud reports.
 */
const emailDestination = z
  .strictObject({
    kind: z.literal("email"),
    /** The name of a provider under `providers` that carries email (checked with the other references). */
    provider: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "the name of a provider under providers"),
    to: z
      .array(z.string().refine(isPlainAddress, "must be one plain email address (no display name, no second address)"))
      .min(1, "list at least one address, or leave the setting out")
      .max(20)
      .optional(),
    /** Also send each message to the caller's manager as the directory names them (when they have a usable address). */
    notifyManager: z.boolean().default(false),
    ...common,
  })
  .refine((d) => d.to !== undefined || d.notifyManager, { message: "give `to` (addresses), `notifyManager: true`, or both", path: ["to"] });

export const notificationDestinationSchema = z.discriminatedUnion("kind", [webhookDestination, teamsDestination, slackDestination, emailDestination], {
  error: "kind must be webhook, teams, slack or email",
});
export type NotificationDestinationConfig = z.output<typeof notificationDestinationSchema>;
export type WebhookDestinationConfig = z.output<typeof webhookDestination>;
export type ChatDestinationConfig = z.output<typeof teamsDestination> | z.output<typeof slackDestination>;
export type EmailDestinationConfig = z.output<typeof emailDestination>;
/** The destinations that post to a URL (every kind but email). */
export type UrlDestinationConfig = Exclude<NotificationDestinationConfig, EmailDestinationConfig>;

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
 *       - { kind: email, provider: mail, to: [security@contoso.com], notifyManager: true }
 * ```
 */
export const notificationsSchema = z.array(notificationDestinationSchema).max(20, "at most 20 destinations per list").default([]);

/** The URL of a destination, revealed only to send to it. */
export function destinationUrl(destination: UrlDestinationConfig): string {
  return typeof destination.url === "string" ? destination.url : destination.url.reveal();
}

/** How a destination is named in logs, audit events and pages: its kind, name and origin, never the rest of its URL. */
export function destinationLabel(destination: NotificationDestinationConfig): string {
  if (destination.kind === "email") {
    const recipients = [...(destination.to ?? []).map(maskEmail), ...(destination.notifyManager ? ["the caller's manager"] : [])];
    return emailLabel(destination, recipients.join(", "));
  }
  const origin = new URL(destinationUrl(destination)).origin;
  return `${destination.kind}${destination.name === undefined ? "" : ` "${destination.name}"`} ${origin}`;
}

/** One email recipient's label: `email "name" via <provider> to j•••@c•••.com` (never the whole address). */
export function emailLabel(destination: EmailDestinationConfig, recipient: string): string {
  return `email${destination.name === undefined ? "" : ` "${destination.name}"`} via ${destination.provider} to ${recipient}`;
}
