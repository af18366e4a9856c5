import { VerityError } from "../../domain/errors.js";
import { ROLES, type Role, type SsoIdentity } from "../../domain/roles.js";
import { ENTRA_ISSUER_BASE, type SsoProviderConfig } from "./sso-config.js";

/** Who an ID token says signed in, already mapped to a Verity role and tenants. */
export type SsoSignedIn = SsoIdentity;

/** The claims of an ID token the library has already validated (signature, issuer, audience, nonce, expiry). */
export type IdTokenClaims = Readonly<Record<string, unknown>> & { readonly iss: string; readonly sub: string };

const refuse = (code: "SSO_REJECTED" | "SSO_TENANT_NOT_ALLOWED" | "NO_ROLE", reason: string, subject?: string) =>
  new VerityError(code, { details: { reason, ...(subject === undefined ? {} : { subject }) } });

const text = (value: unknown, max = 200): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, max) : undefined);

/** A claim's values: a string, or the strings of an array (groups and roles are arrays). */
export function claimValues(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Microsoft's rule for v2.0 tokens: `iss` is `https://login.microsoftonline.com/{tid}/v2.0` for
 * the token's own `tid`, compared exactly, and then `tid` must be one this app admits. The
 * library already compared `iss` with the discovered issuer (the template, for `organizations`);
 * this check does not depend on how it did.
 */
export function entraSubject(config: Extract<SsoProviderConfig, { kind: "entra" }>, claims: IdTokenClaims): string {
  const tid = text(claims.tid, 64)?.toLowerCase();
  const oid = text(claims.oid, 64);
  if (tid === undefined || oid === undefined) throw refuse("SSO_REJECTED", "the Entra ID token has no tid or oid claim");
  if (claims.iss !== `${ENTRA_ISSUER_BASE}/${tid}/v2.0`) throw refuse("SSO_REJECTED", `issuer ${claims.iss} is not Microsoft's issuer for tenant ${tid}`);
  const allowed = config.tenantId !== undefined ? [config.tenantId] : (config.allowedTenants ?? []);
  if (!allowed.includes(tid)) throw refuse("SSO_TENANT_NOT_ALLOWED", `Entra tenant ${tid} is not allowed`, `${tid}:${oid}`);
  return `${tid}:${oid}`;
}

/** The highest role any of the values maps to (admin, then technician, verifier, auditor). */
export function highestRole(map: Readonly<Record<string, Role>>, values: readonly string[]): Role | undefined {
  const ranks = values.flatMap((v) => (Object.hasOwn(map, v) ? [ROLES.indexOf(map[v] as Role)] : []));
  return ranks.length === 0 ? undefined : ROLES[Math.min(...ranks)];
}

/** Every tenant the values grant, or null (every tenant) when none is mapped. */
export function grantedTenants(map: Readonly<Record<string, readonly string[]>> | undefined, values: readonly string[]): string[] | null {
  if (map === undefined) return null;
  const granted = new Set(values.flatMap((v) => (Object.hasOwn(map, v) ? (map[v] ?? []) : [])));
  return granted.size === 0 ? null : [...granted].sort();
}

/**
 * Maps validated ID token claims to the person Verity signs in.
 * @throws SSO_REJECTED, SSO_TENANT_NOT_ALLOWED (Entra) or NO_ROLE; `details.reason` says why, for the audit log
 */
export function identityFromClaims(config: SsoProviderConfig, claims: IdTokenClaims): SsoSignedIn {
  const subject = config.kind === "entra" ? entraSubject(config, claims) : claims.sub;
  const role = highestRole(config.roles, claimValues(claims[config.roleClaim]));
  if (role === undefined) throw refuse("NO_ROLE", `no value of the ${config.roleClaim} claim maps to a Verity role`, subject);
  const email = text(claims.email, 320) ?? null;
  return {
    provider: config.name,
    subject,
    displayName: text(claims.name) ?? text(claims.preferred_username) ?? email ?? subject,
    email,
    role,
    tenants: grantedTenants(config.tenants, claimValues(claims[config.tenantClaim ?? config.roleClaim])),
  };
}
