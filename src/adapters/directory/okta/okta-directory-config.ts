import { z } from "zod";
import { timeoutMs } from "../../../config/fields.js";
import { oktaAuthSchema, oktaOrgUrl } from "../../okta-shared/okta-connection.js";

/**
 * The OAuth scopes the directory reads with: users, their factors and groups
 * (`okta.users.read`) and their admin role assignments (`okta.roles.read`).
 */
export const OKTA_DIRECTORY_SCOPES = ["okta.users.read", "okta.roles.read"] as const;

/**
 * A tenant's `directory` block of kind `okta`: callers, their groups, admin roles and enrolled
 * factors read from an Okta org through the Management API, with an API token or an API
 * Services app (read-only scopes).
 *
 * @example
 * ```yaml
 * directory:
 *   kind: okta
 *   orgUrl: https://acme.okta.com
 *   organisation: Acme Ltd
 *   auth:
 *     kind: oauth
 *     clientId: 0oa1b2c3d4e5f6g7h8i9
 *     privateKey: ${file:/etc/verity/okta-directory.pem}
 * ```
 */
export const oktaDirectoryConfigSchema = z.strictObject({
  kind: z.literal("okta"),
  orgUrl: oktaOrgUrl,
  auth: oktaAuthSchema(OKTA_DIRECTORY_SCOPES),
  /** The organisation's name as technicians and callers know it (Okta's own needs okta.orgs.read). */
  organisation: z.string().min(1).max(200).optional(),
  /** A factor enrolled or changed, or a password changed, this many days back or less is a risk signal. */
  recentChangeDays: z.number().int().min(0).max(90).default(7),
  timeoutMs: timeoutMs.default(10_000),
});

export type OktaDirectoryConfig = z.output<typeof oktaDirectoryConfigSchema>;
