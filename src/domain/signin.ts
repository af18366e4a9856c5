/**
 * Sign-in verification (issue 12): the caller signs in at their own identity provider and Verity
 * checks who signed in and how. The types the adapter (adapters/signin) and the service
 * (services/caller-signin.ts) share; the port is SigninProvider.
 */

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

/**
 * What the browser's sealed cookie carries between the button and the callback. It holds the
 * PKCE verifier, so it is only ever stored sealed; it names the provider and issuer the flow began
 * with, which is what defeats an IdP mix-up.
 */
export interface SigninFlow {
  readonly provider: string;
  readonly issuer: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly ask: SigninAsk;
}

/** The tenant's part of a sign-in request (tenants[].signIn, and the Entra directory's tenant id). */
export interface SigninTenant {
  readonly entraTenantId?: string | undefined;
  /**
   * Without a configured tenant id, an Entra directory's caller signs in at the tenant that owns
   * their UPN's domain (Microsoft's public metadata for that domain names it), as the directory
   * itself found them there. Never for another kind of directory.
   */
  readonly entraTenantFromUpn?: boolean;
  readonly authContext?: string | undefined;
}

/** One configured sign-in service: the caller signs in at their own identity provider. */
export interface SigninProvider {
  readonly name: string;
  /**
   * A new authorization request (code flow, PKCE S256, state, nonce) that forces a fresh sign-in
   * by the directory user (`login_hint`). Entra: the caller's tenant in the URL, `prompt=login`,
   * `max_age=0`, the `claims` parameter asking for the tenant's authentication context. Okta:
   * `acr_values`, `max_age=0`.
   * @throws CALLER_SIGNIN_UNAVAILABLE when the provider's metadata cannot be had
   */
  begin(request: { redirectUri: string; loginHint: string; tenant: SigninTenant }): Promise<{ url: string; flow: SigninFlow }>;
  /**
   * Validates the callback and redeems its code once: state, issuer (and the `iss` response
   * parameter), audience, nonce, signature from the provider's keys and exp by openid-client; the
   * tenant, the subject, `auth_time` and the phishing-resistant evidence here.
   * @throws CALLER_SIGNIN_REJECTED (`details.reason`: wrong_user, replayed, stale_auth_time, wrong_issuer,
   *   wrong_audience, wrong_tenant, expired, bad_signature, not_phishing_resistant, idp_error…) or CALLER_SIGNIN_UNAVAILABLE
   */
  finish(callbackUrl: URL, flow: SigninFlow, expected: SigninExpectation): Promise<SigninEvidence>;
  close(): Promise<void>;
}


/** A tenant's sign-in method bound to its service (main.ts), for services/caller-signin.ts. */
export interface TenantSigninBinding {
  readonly provider: SigninProvider;
  readonly tenant: SigninTenant;
  /** Refuse a sign-in that is not phishing-resistant (tenants[].signIn.belowPhishingResistant: reject, the default). */
  readonly requirePhishingResistant: boolean;
}
