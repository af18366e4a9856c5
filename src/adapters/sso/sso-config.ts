import { z } from "zod";
import { ROLES } from "../../domain/roles.js";
import { baseUrl, secretString } from "../../config/fields.js";

/** Microsoft's issuer for a tenant's v2.0 tokens is this plus `/{tid}/v2.0`, wherever Verity reaches it. */
export const ENTRA_ISSUER_BASE = "https://login.microsoftonline.com";

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "an Entra tenant id (a GUID)").transform((s) => s.toLowerCase());

// Plain http is for an identity provider on this machine only (a local test provider, a lab Keycloak).
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?(\/|$)/i;
const providerUrl = baseUrl.refine((u) => u.startsWith("https://") || LOOPBACK_HTTP.test(u), "must be https:// (http only for 127.0.0.1 or localhost)");

const common = {
  /** The name in URLs (/signin/sso/<name>) and the audit log. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "use lowercase letters, digits and hyphens"),
  /** What the sign-in button says: "Sign in with <label>". */
  label: z.string().min(1).max(60),
  clientId: z.string().min(1).max(200),
  clientSecret: secretString,
  /** The ID token claim that carries groups or app roles (`roles` for Entra app roles, `groups`…). */
  roleClaim: z.string().min(1).max(100).default("roles"),
  /** Claim value → Verity role. A person whose claims map to no role is refused; with several, the highest wins. */
  roles: z.record(z.string().min(1).max(200), z.enum(ROLES)).refine((r) => Object.keys(r).length > 0, "map at least one group or app role to a Verity role"),
  /** The claim whose values `tenants` maps (default: the roleClaim). */
  tenantClaim: z.string().min(1).max(100).optional(),
  /** Claim value → the tenants it grants; a person without one gets every tenant. */
  tenants: z.record(z.string().min(1).max(200), z.array(z.string().min(1)).min(1)).optional(),
  /** How the client secret reaches the token endpoint (Entra: post; Okta apps default to basic). */
  clientAuthMethod: z.enum(["client_secret_basic", "client_secret_post"]).optional(),
  /** Each call to the provider (discovery, keys, token) may take this long. */
  timeoutSeconds: z.number().int().min(1).max(60).default(10),
};

const entraProvider = z
  .strictObject({
    ...common,
    kind: z.literal("entra"),
    /** A single-tenant app: only this tenant's people sign in. */
    tenantId: guid.optional(),
    /** A multi-tenant app (signs in through `organizations`): only these tenants' people sign in. */
    allowedTenants: z.array(guid).min(1).max(200).optional(),
    /** Where Verity reaches the Microsoft identity platform (a proxy, a local test provider); issuers stay Microsoft's. */
    loginUrl: providerUrl.default(ENTRA_ISSUER_BASE),
  })
  .superRefine((p, ctx) => {
    if ((p.tenantId === undefined) === (p.allowedTenants === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["tenantId"],
        message: "set tenantId (single-tenant app) or allowedTenants (multi-tenant app), not both: a multi-tenant app open to every tenant would let any tenant's admin assign your app roles",
      });
    }
  });

const oidcProvider = z.strictObject({
  ...common,
  kind: z.literal("oidc"),
  /** The issuer URL exactly as the provider names itself (discovery at <issuer>/.well-known/openid-configuration). */
  issuer: providerUrl,
});

/**
 * One single-sign-on provider for the web app (OpenID Connect, authorization code with PKCE).
 * `kind: entra` is Microsoft Entra ID (single- or multi-tenant app); `kind: oidc` is any
 * standard provider (Okta, Google…) found through its issuer's discovery document.
 *
 * @example
 * ```yaml
 * web:
 *   sso:
 *     - name: entra
 *       label: Microsoft
 *       kind: entra
 *       tenantId: 00000000-0000-0000-0000-000000000000
 *       clientId: 11111111-1111-1111-1111-111111111111
 *       clientSecret: ${VERITY_SSO_SECRET}
 *       roles: { Verity.Admin: admin, Verity.Technician: technician }
 * ```
 */
export const ssoProviderSchema = z.discriminatedUnion("kind", [entraProvider, oidcProvider]);

export type SsoProviderConfig = z.output<typeof ssoProviderSchema>;
export type EntraSsoConfig = Extract<SsoProviderConfig, { kind: "entra" }>;

/** Names must be unique: they pick the provider in URLs and in the audit log. */
export function duplicateSsoNames(providers: readonly { name: string }[]): string[] {
  const seen = new Set<string>();
  return providers.map((p) => p.name).filter((name) => seen.has(name) || !seen.add(name));
}

/** Tenant ids the `tenants` maps grant that no configured tenant has (on the raw configuration tree). */
export function ssoTenantProblems(raw: { web?: unknown; tenants?: unknown }): { path: string; message: string }[] {
  const ids = new Set(Array.isArray(raw.tenants) ? raw.tenants.map((t: unknown) => (typeof t === "object" && t !== null ? (t as { id?: unknown }).id : undefined)) : []);
  const sso = typeof raw.web === "object" && raw.web !== null ? (raw.web as { sso?: unknown }).sso : undefined;
  if (!Array.isArray(sso)) return [];
  return sso.flatMap((provider: unknown, index) => {
    const tenants = typeof provider === "object" && provider !== null ? (provider as { tenants?: unknown }).tenants : undefined;
    if (typeof tenants !== "object" || tenants === null) return [];
    return Object.entries(tenants).flatMap(([value, granted]) =>
      (Array.isArray(granted) ? granted : [])
        .filter((id) => typeof id === "string" && !ids.has(id))
        .map((id: string) => ({ path: `web.sso[${index}].tenants.${value}`, message: `tenant '${id}' is not configured under tenants` })),
    );
  });
}
