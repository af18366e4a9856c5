import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";
import { sharedSecretAuthSchema } from "../shared/webhook-auth.js";

/**
 * A ticketing block of kind `freshservice`: the API key Verity reads tickets and writes private
 * notes with, and the credentials the Workflow Automator's "Trigger Webhook" action must present
 * (Freshservice signs nothing, so Basic credentials or a secret header, ideally with its egress
 * addresses in `allowedSources`).
 *
 * @example
 * ```yaml
 * ticketing:
 *   servicedesk:
 *     kind: freshservice
 *     baseUrl: https://acme.freshservice.com
 *     apiKey: ${FRESHSERVICE_API_KEY}
 *     webhook:
 *       kind: token
 *       header: X-Verity-Token
 *       token: ${FRESHSERVICE_WEBHOOK_TOKEN}
 * ```
 */
export const freshserviceConfigSchema = z.strictObject({
  kind: z.literal("freshservice"),
  /** `https://<domain>.freshservice.com` (or the account's custom domain). */
  baseUrl,
  /** The API key of the agent Verity acts as (Profile settings > Your API Key); sent as Basic `apikey:X`. */
  apiKey: secretString,
  /** What the "Trigger Webhook" action presents. */
  webhook: sharedSecretAuthSchema,
  timeoutMs: timeoutMs.default(10_000),
});

export type FreshserviceConfig = z.output<typeof freshserviceConfigSchema>;
