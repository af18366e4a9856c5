import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";
import { sharedSecretAuthSchema } from "../shared/webhook-auth.js";

const haloOutcome = z.union([
  z.strictObject({ id: z.number().int().positive() }),
  z.strictObject({ name: z.string().trim().min(1).max(100) }),
]);

/**
 * A ticketing block of kind `halopsa`: the HaloPSA API application Verity uses and the
 * credentials Halo's webhook must present.
 *
 * @example
 * ```yaml
 * ticketing:
 *   kind: halopsa
 *   authUrl: https://acme.halopsa.com/auth
 *   apiUrl: https://acme.halopsa.com/api
 *   tenant: acme                      # Halo-hosted instances only
 *   clientId: 3f1c…
 *   clientSecret: ${HALO_CLIENT_SECRET}
 *   outcome: { id: 7 }                # or { name: Private Note }
 *   webhook:
 *     kind: basic
 *     username: halo
 *     password: ${HALO_WEBHOOK_PASSWORD}
 *     allowedSources: [203.0.113.0/24]   # optional: Halo's egress addresses
 * ```
 */
export const haloConfigSchema = z.strictObject({
  kind: z.literal("halopsa"),
  /** The Authorisation Server shown under Configuration > Integrations > HaloPSA API. */
  authUrl: baseUrl,
  /** The Resource Server shown on the same page. */
  apiUrl: baseUrl,
  /** Halo-hosted cloud instances only: sent as `?tenant=` on the token request. */
  tenant: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dots, hyphens and underscores only")
    .optional(),
  clientId: z.string().trim().min(1).max(200),
  clientSecret: secretString,
  /** `all`, or space-separated granular scopes such as `read:tickets edit:tickets read:customers`. */
  scope: z.string().trim().min(1).max(500).default("all"),
  /** The action outcome used for private notes; Halo refuses an action without one. */
  outcome: haloOutcome.default({ id: 7 }),
  /** What Halo's webhook presents: Basic credentials (what Halo offers) or a token. */
  webhook: sharedSecretAuthSchema,
  timeoutMs: timeoutMs.default(10_000),
});

export type HaloConfig = z.output<typeof haloConfigSchema>;
export type HaloWebhookAuthConfig = HaloConfig["webhook"];
export type HaloOutcomeConfig = HaloConfig["outcome"];
