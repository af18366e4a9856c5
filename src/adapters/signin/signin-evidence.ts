import { VerityError } from "../../domain/errors.js";

/**
 * Why a caller's sign-in was refused, as `details.reason` of CALLER_SIGNIN_REJECTED (and the
 * audit event's reason). `wrong_user` is the only one that means another person signed in: the
 * fraud flow. The others are a broken, replayed or forged answer, or a weaker sign-in than asked.
 */
export const SIGNIN_REASONS = [
  "wrong_user",
  "wrong_tenant",
  "wrong_issuer",
  "wrong_audience",
  "replayed",
  "state_mismatch",
  "expired",
  "bad_signature",
  "stale_auth_time",
  "missing_claims",
  "not_phishing_resistant",
  "idp_error",
] as const;
export type SigninReason = (typeof SIGNIN_REASONS)[number];

/** What Verity keeps of a sign-in: the facts that prove it, never a token. */
export interface SigninEvidence {
  /** The configured provider's name. */
  readonly provider: string;
  readonly protocol: "entra" | "okta";
  readonly issuer: string;
  /** Entra `tid:oid`, else `sub`. */
  readonly subject: string;
  readonly acr: string | null;
  readonly acrs: readonly string[];
  readonly amr: readonly string[];
  /** When the person authenticated at the provider (ISO 8601, from `auth_time`). */
  readonly authTime: string;
  readonly phishingResistant: boolean;
}

/** Who must have signed in, and what this sign-in asked for. */
export interface SigninExpectation {
  /** The directory user's id: Entra `oid`, Okta `sub`. */
  readonly userId: string;
  /** When the verification began: `auth_time` must not be earlier. */
  readonly startedAt: Date;
  /** Refuse a sign-in whose evidence is not phishing-resistant (else record it as weaker). */
  readonly requirePhishingResistant: boolean;
}

/** What a flow asked a provider for, kept with the flow (Entra: the tenant and its context; Okta: acr_values). */
export type SigninAsk = { readonly protocol: "entra"; readonly tenantId: string; readonly authContext: string } | { readonly protocol: "okta"; readonly acrValues: string };

/** A refusal with its reason; `evidence` (when the token itself was good) goes to the audit log. */
export function signinRejected(reason: SigninReason, detail: string, evidence?: SigninEvidence): VerityError {
  return new VerityError("CALLER_SIGNIN_REJECTED", { details: { reason, detail, ...(evidence === undefined ? {} : { evidence }) } });
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : []);
const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/**
 * Entra's `amr` says phishing-resistant (PROVIDERS.md §10.1, the "Phishing-resistant MFA"
 * strength): a FIDO2 key or passkey (`fido`), Windows Hello for Business (`hwk` with `mfa` or
 * `ngcmfa`), or a certificate used as a multifactor credential (`x509` with `mfa`). `x509` alone is
 * a single-factor certificate and does not count; neither do `pwd`, `otp`, `sms` or push (`rsa`).
 */
export function entraAmrIsPhishingResistant(amr: readonly string[]): boolean {
  const has = (value: string) => amr.includes(value);
  return has("fido") || (has("hwk") && (has("mfa") || has("ngcmfa"))) || (has("x509") && has("mfa"));
}

/**
 * Checks the claims of an ID token that openid-client has already validated (signature, issuer,
 * audience, nonce, exp) against who must have signed in and what was asked, and returns the
 * evidence. Entra: `iss` must be Microsoft's issuer for the token's own `tid`, compared exactly,
 * and `tid` the caller's tenant; `acrs` proves nothing unless a policy is bound, so `amr` must also
 * show a phishing-resistant authenticator. Okta: `acr` must be exactly what was asked (unsupported
 * values are silently ignored by Okta). `max_age` is not honoured by Entra, so `auth_time` is
 * checked here for both.
 *
 * @throws CALLER_SIGNIN_REJECTED with `details.reason` one of SIGNIN_REASONS
 */
export function evaluateSignin(
  input: { provider: string; issuerBase?: string; ask: SigninAsk },
  claims: Readonly<Record<string, unknown>>,
  expected: SigninExpectation,
): SigninEvidence {
  const iss = text(claims.iss) ?? "";
  const amr = strings(claims.amr);
  let subject: string;
  let phishingResistant: boolean;
  let acrs: string[] = [];
  const acr = text(claims.acr) ?? null;
  if (input.ask.protocol === "entra") {
    const tid = text(claims.tid)?.toLowerCase();
    const oid = text(claims.oid)?.toLowerCase();
    if (tid === undefined || oid === undefined) throw signinRejected("missing_claims", "the Entra ID token has no tid or oid claim");
    if (iss !== `${input.issuerBase ?? "https://login.microsoftonline.com"}/${tid}/v2.0`) throw signinRejected("wrong_issuer", `issuer ${iss} is not Microsoft's issuer for tenant ${tid}`);
    if (tid !== input.ask.tenantId) throw signinRejected("wrong_tenant", `the token is from tenant ${tid}, the caller's tenant is ${input.ask.tenantId}`);
    subject = `${tid}:${oid}`;
    if (oid !== expected.userId.toLowerCase()) throw signinRejected("wrong_user", `signed in as ${subject}, not the caller`);
    acrs = strings(claims.acrs);
    phishingResistant = acrs.includes(input.ask.authContext) && entraAmrIsPhishingResistant(amr);
  } else {
    const sub = text(claims.sub);
    if (sub === undefined) throw signinRejected("missing_claims", "the ID token has no sub claim");
    subject = sub;
    if (sub !== expected.userId) throw signinRejected("wrong_user", `signed in as ${sub}, not the caller`);
    phishingResistant = acr === input.ask.acrValues;
  }
  const authTime = claims.auth_time;
  if (typeof authTime !== "number" || !Number.isFinite(authTime)) {
    throw signinRejected("missing_claims", "the ID token has no auth_time (Entra: add it as an optional claim to the app registration)");
  }
  if (authTime < Math.floor(expected.startedAt.getTime() / 1000)) {
    throw signinRejected("stale_auth_time", `the person authenticated at ${new Date(authTime * 1000).toISOString()}, before the verification began`);
  }
  const evidence: SigninEvidence = {
    provider: input.provider,
    protocol: input.ask.protocol,
    issuer: iss,
    subject,
    acr,
    acrs,
    amr,
    authTime: new Date(authTime * 1000).toISOString(),
    phishingResistant,
  };
  if (!phishingResistant && expected.requirePhishingResistant) {
    const what = input.ask.protocol === "entra" ? `acrs [${acrs.join(", ")}], amr [${amr.join(", ")}]` : `acr ${acr ?? "(none)"}, asked ${input.ask.acrValues}`;
    throw signinRejected("not_phishing_resistant", `the sign-in was not phishing-resistant (${what})`, evidence);
  }
  return evidence;
}
