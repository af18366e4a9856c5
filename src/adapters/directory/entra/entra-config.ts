import { z } from "zod";
import { baseUrl, checkCertificatePair, secretString, timeoutMs } from "../../../config/fields.js";

/** Entra tenant and application ids are GUIDs; z.guid() also takes ids outside RFC 4122's variants. */
export const entraGuid = z.guid("a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47").transform((id) => id.toLowerCase());

/**
 * Built-in Entra roles whose holders Verity treats as privileged, by role template id (the same
 * in every tenant; Microsoft Entra built-in roles reference).
 */
export const DEFAULT_PRIVILEGED_ROLE_TEMPLATE_IDS: readonly string[] = [
  "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
  "e8611ab8-c189-46e8-94e1-60213ab1f814", // Privileged Role Administrator
  "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", // Privileged Authentication Administrator
  "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
  "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
  "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
  "194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
  "29232cdf-9323-42fd-ade2-1d097af3e4de", // Exchange Administrator
  "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", // SharePoint Administrator
  "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", // Application Administrator
  "158c047a-c907-4556-b7ef-446551a6b5f7", // Cloud Application Administrator
  "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", // Conditional Access Administrator
  "3a2c62db-5318-420d-8d74-23affee5d9d5", // Intune Administrator
];

const certificateCredential = z
  .strictObject({
    kind: z.literal("certificate"),
    /** PEM private key (PKCS#8 or PKCS#1) matching `certificate`. */
    privateKey: secretString,
    /** PEM X.509 certificate whose public part is uploaded to the app registration. */
    certificate: z.string().min(1),
    algorithm: z.enum(["PS256", "RS256"]).default("PS256"),
  })
  .superRefine((credential, ctx) => checkCertificatePair(credential, ctx));

/** An Entra app registration's client credential: a secret, or a certificate (signed assertions). Shared with the Graph sendMail channel. */
export const entraCredentialSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("secret"), secret: secretString }),
  certificateCredential,
]);

/**
 * A tenant's `directory` block of kind `entra`: users and their registered factors read from
 * Microsoft Entra ID through Microsoft Graph, with an app-only (client credentials) token.
 *
 * @example
 * ```yaml
 * directory:
 *   kind: entra
 *   tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47   # omit to resolve from the caller's domain
 *   clientId: 3f0c6a4e-7b0b-4a5e-9d7e-2d0f6f0b1c2d
 *   credential:
 *     kind: certificate
 *     privateKey: ${file:/run/secrets/verity-entra.key}
 *     certificate: ${file:/etc/verity/verity-entra.crt}
 * ```
 */
export const entraDirectoryConfigSchema = z.strictObject({
  kind: z.literal("entra"),
  /** Pins the Entra tenant; without it the tenant is resolved from each caller's email domain. */
  tenantId: entraGuid.optional(),
  clientId: entraGuid,
  credential: entraCredentialSchema,
  loginUrl: baseUrl.default("https://login.microsoftonline.com"),
  graphUrl: baseUrl.default("https://graph.microsoft.com"),
  /**
   * The `cloud_instance_name` tenants must report. Derived from loginUrl for Microsoft's own
   * hosts; set it only when loginUrl is a proxy in front of a sovereign cloud.
   */
  cloudInstanceName: z.string().min(1).optional(),
  /** A security-info change this many days back or less raises `recent_security_info_change`. */
  recentChangeDays: z.number().int().min(0).max(90).default(7),
  privilegedRoleTemplateIds: z.array(entraGuid).default([...DEFAULT_PRIVILEGED_ROLE_TEMPLATE_IDS]),
  timeoutMs: timeoutMs.default(10_000),
});

export type EntraDirectoryConfig = z.output<typeof entraDirectoryConfigSchema>;
export type EntraCredential = EntraDirectoryConfig["credential"];
