import { VerityError } from "../../domain/errors.js";
import type { SigninAsk, SigninEvidence, SigninExpectation, SigninReason } from "../../domain/signin.js";

export { SIGNIN_REASONS, type SigninAsk, type SigninEvidence, type SigninExpectation, type SigninReason } from "../../domain/signin.js";

/** A refusal with its reason; `evidence` (when the token itself was good) goes to the audit log. */
export function signinRejected(reason: SigninReason, detail: string, evidence?: SigninEvidence, subject?: string): VerityError {
  return new VerityError("CALLER_SIGNIN_REJECTED", { details: { reason, detail, ...(evidence === undefined ? {} : { evidence }), ...(subject === undefined ? {} : { subject }) } });
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : []);
const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Okta's acr_values that mean a phishing-resistant sign-in (PROVIDERS.md §10.2). */
const OKTA_PHISHING_RESISTANT: ReadonlySet<string> = new Set(["phr", "phrh"]);

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
    if (oid !== expected.userId.toLowerCase()) throw signinRejected("wrong_user", `signed in as ${subject}, not the caller`, undefined, subject);
    acrs = strings(claims.acrs);
    phishingResistant = acrs.includes(input.ask.authContext) && entraAmrIsPhishingResistant(amr);
  } else {
    const sub = text(claims.sub);
    if (sub === undefined) throw signinRejected("missing_claims", "the ID token has no sub claim");
    subject = sub;
    if (sub !== expected.userId) throw signinRejected("wrong_user", `signed in as ${sub}, not the caller`, undefined, sub);
    // Only Okta's phishing-resistant values count, and only when met exactly as asked.
    phishingResistant = acr === input.ask.acrValues && OKTA_PHISHING_RESISTANT.has(acr);
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
