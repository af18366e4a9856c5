import { z } from "zod";
import { parseJson } from "../../http/json.js";

/**
 * zod shapes of the Microsoft identity platform and Microsoft Graph responses the Entra adapter
 * reads. Unknown fields are dropped on parse, so nothing Verity does not use (audit
 * `modifiedProperties` with old and new phone numbers, for one) is kept in memory past parsing.
 */

/** `/{tenant}/v2.0/.well-known/openid-configuration`. */
export const openIdConfigurationSchema = z.object({
  issuer: z.string(),
  token_endpoint: z.string(),
  cloud_instance_name: z.string().optional(),
  msgraph_host: z.string().optional(),
});

/** The error body of the login endpoints (token and discovery). */
export const loginErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  error_codes: z.array(z.number()).optional(),
});

/** A client-credentials token; `expires_in` arrives as a number (v2) or a string (v1). */
export const tokenResponseSchema = z.object({
  token_type: z.string().refine((t) => t.toLowerCase() === "bearer", "token_type must be Bearer"),
  expires_in: z.coerce.number().int().positive(),
  access_token: z.string().min(1),
});

const REFRESH_EARLY_MS = 5 * 60 * 1000;

/**
 * A Microsoft token answer (v2, or v1 with numbers as strings) as a cache entry: the token, kept
 * until 5 minutes (or half its life, if shorter) before it expires. Undefined when unreadable.
 */
export function readTokenAnswer(text: string): { value: string; ttlMs: number; expiresInSeconds: number } | undefined {
  const answer = parseJson(tokenResponseSchema, text);
  if (answer === undefined) return undefined;
  const lifetimeMs = answer.expires_in * 1000;
  return { value: answer.access_token, ttlMs: lifetimeMs - Math.min(REFRESH_EARLY_MS, lifetimeMs / 2), expiresInSeconds: answer.expires_in };
}

/** The Graph error envelope. */
export const graphErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().optional(),
    innerError: z.object({ "request-id": z.string().optional() }).optional(),
  }),
});

/** A page of a Graph collection. */
export function graphPageSchema<T extends z.ZodType>(item: T) {
  return z.object({ value: z.array(item), "@odata.nextLink": z.string().optional() });
}

export const graphUserSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  userPrincipalName: z.string().min(1),
  mail: z.string().nullish(),
  onPremisesSamAccountName: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  /** Exchange addresses of the user's mailbox: `SMTP:` the primary, `smtp:` aliases (and X500:, SIP:… to skip). */
  proxyAddresses: z.array(z.string()).nullish(),
});
export type GraphUser = z.output<typeof graphUserSchema>;

/**
 * `GET /users/{id}?$select=id&$expand=manager(…)`: the user with their manager inlined, absent
 * when none is set. The manager may be an organisational contact (no UPN), so only `id` is required.
 */
export const managerEnvelopeSchema = z.object({
  id: z.string().optional(),
  manager: z
    .object({
      "@odata.type": z.string().optional(),
      id: z.string().min(1),
      displayName: z.string().nullish(),
      mail: z.string().nullish(),
      userPrincipalName: z.string().nullish(),
    })
    .nullish(),
});
export type GraphManager = NonNullable<z.output<typeof managerEnvelopeSchema>["manager"]>;

/** An item of `/organization` (there is one: the tenant itself). */
export const organizationSchema = z.object({ id: z.string().optional(), displayName: z.string().nullish() });

export const phoneMethodSchema = z.object({
  id: z.string(),
  phoneNumber: z.string().nullish(),
  phoneType: z.string().nullish(),
  smsSignInState: z.string().nullish(),
});
export type PhoneMethod = z.output<typeof phoneMethodSchema>;

export const emailMethodSchema = z.object({ id: z.string(), emailAddress: z.string().nullish() });
export type EmailMethod = z.output<typeof emailMethodSchema>;

export const authenticatorMethodSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  deviceTag: z.string().nullish(),
  phoneAppVersion: z.string().nullish(),
  createdDateTime: z.string().nullish(),
});

/** An item of `transitiveMemberOf/microsoft.graph.directoryRole`. */
export const directoryRoleSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  roleTemplateId: z.string().nullish(),
});
export type DirectoryRole = z.output<typeof directoryRoleSchema>;

export const directoryAuditSchema = z.object({
  id: z.string(),
  activityDateTime: z.string(),
  activityDisplayName: z.string(),
  result: z.string().nullish(),
});
export type DirectoryAudit = z.output<typeof directoryAuditSchema>;
