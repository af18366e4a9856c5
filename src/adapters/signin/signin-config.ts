import { randomBytes } from "node:crypto";
import { z } from "zod";
import { baseUrl, secretString } from "../../config/fields.js";
import { GeneratedSecret, type Secret } from "../../config/secret.js";
import { ENTRA_ISSUER_BASE } from "../sso/sso-config.js";
import { entraGuid } from "../directory/entra/entra-config.js";

// Plain http is for an identity provider on this machine only (a local fake, the demo's own).
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?(\/|$)/i;
const providerUrl = baseUrl.refine((u) => u.startsWith("https://") || LOOPBACK_HTTP.test(u), "must be https:// (http only for 127.0.0.1 or localhost)");

const common = {
  clientId: z.string().min(1).max(200),
  clientSecret: secretString,
  /** Each call to the provider (discovery, keys, token) may take this long. */
  timeoutSeconds: z.number().int().min(1).max(60).default(10),
};

/**
 * A `providers.<name>` block of kind `entra-signin`: callers sign in to their own Microsoft Entra
 * tenant through Verity's multi-tenant app registration (docs/integrations/signin.md). The
 * authorize URL always names the caller's tenant (never `common`); the authentication context
 * and the tenant id are each tenant's own (`tenants[].signIn`).
 *
 * @example
 * ```yaml
 * providers:
 *   entra-signin:
 *     kind: entra-signin
 *     clientId: 3f0c6a4e-7b0b-4a5e-9d7e-2d0f6f0b1c2d
 *     clientSecret: ${VERITY_SIGNIN_SECRET}
 * ```
 */
export const entraSigninConfigSchema = z.strictObject({
  kind: z.literal("entra-signin"),
  ...common,
  /** Where Verity reaches the Microsoft identity platform (a sovereign cloud, a local fake); issuers stay Microsoft's. */
  loginUrl: providerUrl.default(ENTRA_ISSUER_BASE),
  /** The issuers' base, https://login.microsoftonline.com unless the cloud is another (GCC High: …microsoftonline.us). */
  issuerBase: providerUrl.default(ENTRA_ISSUER_BASE),
});

/** The `acr_values` Okta documents for phishing-resistant sign-in (PROVIDERS.md §10.2). */
export const OKTA_PHISHING_RESISTANT_ACRS = ["phr", "phrh"] as const;

/**
 * A `providers.<name>` block of kind `okta-signin`: callers sign in at their organisation's Okta
 * (an OIDC web app) with `acr_values` asking for a phishing-resistant authenticator.
 *
 * @example
 * ```yaml
 * providers:
 *   okta-signin:
 *     kind: okta-signin
 *     issuer: https://acme.okta.com/oauth2/default
 *     clientId: 0oa1b2c3d4e5f6g7h8i9
 *     clientSecret: ${VERITY_OKTA_SIGNIN_SECRET}
 * ```
 */
export const oktaSigninConfigSchema = z.strictObject({
  kind: z.literal("okta-signin"),
  ...common,
  /** The authorization server's issuer exactly as Okta names it (the org server, or /oauth2/<id>). */
  issuer: providerUrl,
  acrValues: z.enum(OKTA_PHISHING_RESISTANT_ACRS).default("phr"),
  clientAuthMethod: z.enum(["client_secret_basic", "client_secret_post"]).default("client_secret_basic"),
});

/**
 * DEVELOPMENT ONLY: the demo's own OpenID provider (served by `verity demo` under /demo/idp).
 * Verity speaks to it exactly as to Okta (acr `phr` for a passkey), over HTTP with openid-client.
 */
export const simulatedSigninConfigSchema = z.strictObject({
  kind: z.literal("simulated-signin"),
  ...common,
  /**
   * Usually left out: a random secret made when the configuration is read, which both Verity's
   * client and the demo provider (mounted from the same configuration) use. No secret in the file.
   */
  clientSecret: secretString.optional().transform((s): Secret => s ?? new GeneratedSecret(randomBytes(24).toString("base64url"))),
  issuer: providerUrl,
  acrValues: z.enum(OKTA_PHISHING_RESISTANT_ACRS).default("phr"),
  clientAuthMethod: z.enum(["client_secret_basic", "client_secret_post"]).default("client_secret_basic"),
});

export const SIGNIN_PROVIDER_KINDS = ["entra-signin", "okta-signin", "simulated-signin"] as const;

export type EntraSigninConfig = z.output<typeof entraSigninConfigSchema>;
export type OktaSigninConfig = z.output<typeof oktaSigninConfigSchema>;
export type SimulatedSigninConfig = z.output<typeof simulatedSigninConfigSchema>;
export type SigninProviderConfig = EntraSigninConfig | OktaSigninConfig | SimulatedSigninConfig;

/** Entra's authentication context ids: c1 … c99 (PROVIDERS.md §10.1). */
const authContext = z.string().regex(/^c([1-9]|[1-9]\d)$/, "an authentication context id, c1 to c99");

/**
 * A tenant's `signIn` block: what its callers' sign-in verification asks for and accepts.
 *
 * @example
 * ```yaml
 * signIn:
 *   entraTenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47   # required when the directory is not Entra
 *   authContext: c1          # bound by a Conditional Access policy to "Phishing-resistant MFA"
 *   belowPhishingResistant: reject
 * ```
 */
export const tenantSigninSchema = z.strictObject({
  /**
   * The caller's Entra tenant. Required when the directory is not Entra; with an Entra directory,
   * its tenantId, else the tenant that owns the caller's UPN domain (an MSP's catch-all).
   */
  entraTenantId: entraGuid.optional(),
  /** The authentication context Verity requests with the `claims` parameter (Entra). */
  authContext: authContext.optional(),
  /**
   * A sign-in that passed every check but whose evidence is not phishing-resistant (a password, an
   * SMS code): `reject` (the default) refuses it with reason not_phishing_resistant; `accept`
   * verifies the caller at the level the evidence shows.
   */
  belowPhishingResistant: z.enum(["reject", "accept"]).default("reject"),
});
export type TenantSigninConfig = z.output<typeof tenantSigninSchema>;

/** What a tenant must configure for a sign-in service of `kind`; the tenant's Entra directory id counts. */
export function tenantSigninProblems(kind: string, signIn: { entraTenantId?: unknown; authContext?: unknown } | undefined, directoryKind: unknown): string[] {
  if (kind !== "entra-signin") return [];
  const problems: string[] = [];
  // An Entra directory names the tenant (its tenantId, else the tenant that owns the caller's UPN domain).
  if (signIn?.entraTenantId === undefined && directoryKind !== "entra") {
    problems.push("signIn.entraTenantId is required: the Entra sign-in names the caller's own tenant, never common (set it, or use an Entra directory)");
  }
  if (signIn?.authContext === undefined) {
    problems.push("signIn.authContext is required: the authentication context (c1…c99) a Conditional Access policy binds to phishing-resistant MFA");
  }
  return problems;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Problems with tenants' sign-in services, on the raw configuration tree (reported with shape
 * problems): a method's `service` must name a sign-in provider, and an Entra one needs the
 * tenant's Entra tenant id and authentication context.
 */
export function signinReferenceProblems(raw: unknown): { path: string; message: string }[] {
  if (!isRecord(raw)) return [];
  const providers = isRecord(raw.providers) ? raw.providers : {};
  const tenants = Array.isArray(raw.tenants) ? (raw.tenants as unknown[]) : [];
  const problems = tenants.flatMap((tenant, index) => {
    if (!isRecord(tenant) || !isRecord(tenant.methods)) return [];
    const signIn = isRecord(tenant.signIn) ? tenant.signIn : undefined;
    const directoryKind = isRecord(tenant.directory) ? tenant.directory.kind : undefined;
    return Object.entries(tenant.methods).flatMap(([methodId, binding]) => {
      const service = isRecord(binding) ? binding.service : undefined;
      if (typeof service !== "string") return [];
      const path = `tenants[${index}].methods.${methodId}.service`;
      const provider = providers[service];
      const kind = isRecord(provider) ? provider.kind : undefined;
      if (provider === undefined) return [{ path, message: `provider '${service}' is not defined under providers` }];
      if (typeof kind !== "string" || !(SIGNIN_PROVIDER_KINDS as readonly string[]).includes(kind)) {
        return [{ path, message: `provider '${service}' is not a sign-in service (${SIGNIN_PROVIDER_KINDS.join(", ")})` }];
      }
      return tenantSigninProblems(kind, signIn, directoryKind).map((message) => ({ path: `tenants[${index}].signIn`, message }));
    });
  });
  // sms-signin and email-signin of one tenant report the same missing setting once.
  return [...new Map(problems.map((p) => [`${p.path} ${p.message}`, p])).values()];
}
