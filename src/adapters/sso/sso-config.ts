import { z } from "zod";
import { ROLES } from "../../domain/roles.js";
import { baseUrl, secretString } from "../../config/fields.js";

/**
 * One single-sign-on provider for the web app (OpenID Connect, authorization code with PKCE).
 * `kind: entra` is Microsoft Entra ID (single- or multi-tenant app); `kind: oidc` is any
 * standard provider (Okta, Google…) found through its issuer's discovery document.
 */
export const ssoProviderSchema = z.strictObject({
  /** The name in URLs (/signin/sso/<name>) and the audit log. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "use lowercase letters, digits and hyphens"),
  /** What the sign-in button says: "Sign in with <label>". */
  label: z.string().min(1).max(60),
  kind: z.enum(["entra", "oidc"]),
  /** `oidc`: the issuer URL (discovery at <issuer>/.well-known/openid-configuration). */
  issuer: baseUrl.optional(),
  clientId: z.string().min(1).max(200),
  clientSecret: secretString,
  /** The ID token claim that carries groups or app roles (`roles` for Entra app roles, `groups`…). */
  roleClaim: z.string().min(1).max(100).default("roles"),
  /** Claim value → Verity role. A person whose claims map to no role is refused. */
  roles: z.record(z.string().min(1).max(200), z.enum(ROLES)).refine((r) => Object.keys(r).length > 0, "map at least one group or app role to a Verity role"),
  /** Claim value → the tenants it grants; a person without one gets every tenant. */
  tenants: z.record(z.string().min(1).max(200), z.array(z.string().min(1)).min(1)).optional(),
});

export type SsoProviderConfig = z.output<typeof ssoProviderSchema>;
