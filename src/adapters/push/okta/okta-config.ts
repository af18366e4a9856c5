import { z } from "zod";
import { timeoutMs } from "../../../config/fields.js";
import { oktaAuthSchema, oktaOrgUrl, type OktaAuthConfig } from "../../okta-shared/okta-connection.js";

/** The Okta API scopes Verity needs: reads (user, factors, poll) and `manage` (verify, cancel). */
export const OKTA_REQUIRED_SCOPES = ["okta.users.read", "okta.users.manage"] as const;

/**
 * A `providers.<name>` block of kind `okta`: Okta Verify push (with number challenge) and
 * Okta Verify / Google Authenticator passcodes, over the Okta Factors API.
 *
 * @example
 * ```yaml
 * providers:
 *   okta:
 *     kind: okta
 *     orgUrl: https://acme.okta.com
 *     auth:
 *       kind: oauth
 *       clientId: 0oa1b2c3d4e5f6g7h8i9
 *       privateKey: ${file:/etc/verity/okta-service-app.pem}
 *       keyId: verity-2026
 * ```
 */
export const oktaConfigSchema = z.strictObject({
  kind: z.literal("okta"),
  orgUrl: oktaOrgUrl,
  auth: oktaAuthSchema(OKTA_REQUIRED_SCOPES),
  /** Ask for Okta Verify's number challenge; a push that comes back without one is refused. */
  numberChallenge: z.boolean().default(true),
  timeoutMs: timeoutMs.default(10_000),
});

export type OktaConfig = z.output<typeof oktaConfigSchema>;
export type { OktaAuthConfig };
