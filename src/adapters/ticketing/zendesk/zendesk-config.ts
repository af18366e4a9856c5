import { z } from "zod";
import { baseUrl, secretString, sourceRanges, timeoutMs } from "../../../config/fields.js";

/**
 * How Verity signs in to Zendesk's API: an agent's API token (Basic `{email}/token:{apiToken}`)
 * or an OAuth access token (Bearer) from an OAuth client with the scopes in the docs.
 */
const zendeskAuthSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("token"),
    /** The agent the token acts as: every note appears as written by this agent. */
    email: z.email().max(254),
    apiToken: secretString,
  }),
  z.strictObject({ kind: z.literal("oauth"), accessToken: secretString }),
]);

/**
 * A ticketing block of kind `zendesk`: the API credentials Verity reads tickets and writes
 * internal notes with, and the signing secret of the webhook Zendesk's trigger calls.
 *
 * @example
 * ```yaml
 * ticketing:
 *   support:
 *     kind: zendesk
 *     baseUrl: https://acme.zendesk.com
 *     auth: { kind: token, email: verity@acme.example, apiToken: ${ZENDESK_API_TOKEN} }
 *     webhook:
 *       signingSecret: ${ZENDESK_WEBHOOK_SECRET}
 * ```
 */
export const zendeskConfigSchema = z.strictObject({
  kind: z.literal("zendesk"),
  /** `https://<subdomain>.zendesk.com`. */
  baseUrl,
  auth: zendeskAuthSchema,
  webhook: z.strictObject({
    /** The webhook's signing secret (Admin Center > Apps and integrations > Webhooks > the webhook > Reveal secret). */
    signingSecret: secretString,
    /** Zendesk's egress addresses, if you want them checked too. */
    allowedSources: sourceRanges.optional(),
  }),
  timeoutMs: timeoutMs.default(10_000),
});

export type ZendeskConfig = z.output<typeof zendeskConfigSchema>;
export type ZendeskWebhookConfig = ZendeskConfig["webhook"];
