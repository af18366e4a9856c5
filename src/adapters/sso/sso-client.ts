import type { Logger } from "pino";
import type * as Oidc from "openid-client";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createRelyingParty, openidClient, wellKnown } from "./oidc-relying-party.js";
import { ENTRA_ISSUER_BASE, type SsoProviderConfig } from "./sso-config.js";
import { ssoFailure } from "./sso-errors.js";
import { identityFromClaims, type SsoSignedIn } from "./sso-identity.js";

export type { SsoSignedIn } from "./sso-identity.js";

/** What one sign-in sends the browser to, and what its callback must then match. */
export interface SsoAuthorization {
  readonly url: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** One configured identity provider, speaking OpenID Connect through openid-client. */
export interface SsoClient {
  readonly name: string;
  readonly label: string;
  /** A new authorization request (code flow, PKCE S256, state, nonce). Fetches discovery on first use. */
  authorize(redirectUri: string): Promise<SsoAuthorization>;
  /**
   * Validates the callback and redeems its code: state, issuer, audience, nonce, the signature
   * against the provider's keys and the token's times are all checked by openid-client.
   * @param callbackUrl the redirect URI with the callback's query
   * @throws SSO_REJECTED, SSO_TENANT_NOT_ALLOWED, NO_ROLE or SSO_UNAVAILABLE, with `details.reason` for the audit log
   */
  complete(callbackUrl: URL, expected: Omit<SsoAuthorization, "url">): Promise<SsoSignedIn>;
  close(): Promise<void>;
}

const SCOPE = "openid profile email";

/**
 * The issuer openid-client is told to expect, and where the discovery document is fetched. For
 * Entra the issuer is always Microsoft's (`organizations` for a multi-tenant app, whose
 * document carries the `{tenantid}` template that openid-client fills from each token's `tid`);
 * `loginUrl` only says where to fetch it.
 */
function endpoints(config: SsoProviderConfig): { issuer: string; document: string } {
  if (config.kind === "oidc") return { issuer: config.issuer, document: wellKnown(config.issuer) };
  const segment = config.tenantId ?? "organizations";
  return { issuer: `${ENTRA_ISSUER_BASE}/${segment}/v2.0`, document: `${config.loginUrl}/${segment}/v2.0/.well-known/openid-configuration` };
}

export function createSsoClient(config: SsoProviderConfig, deps: { clock: Clock; log?: Pick<Logger, "warn" | "debug"> }): SsoClient {
  const party = createRelyingParty(
    {
      ...endpoints(config),
      name: config.name,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      authMethod: config.clientAuthMethod ?? (config.kind === "entra" ? "client_secret_post" : "client_secret_basic"),
      timeoutSeconds: config.timeoutSeconds,
    },
    deps,
  );
  const configuration = (oidc: typeof Oidc) => party.configuration(oidc);

  return {
    name: config.name,
    label: config.label,

    async authorize(redirectUri) {
      try {
        const oidc = await openidClient();
        const built = await configuration(oidc);
        const codeVerifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        const url = oidc.buildAuthorizationUrl(built, {
          redirect_uri: redirectUri,
          response_type: "code",
          scope: SCOPE,
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: "S256",
          state,
          nonce,
        });
        return { url: url.href, state, nonce, codeVerifier };
      } catch (error) {
        // Nothing the person sent is checked here: a failure is the provider's or its settings'.
        const failure = ssoFailure(config.name, error);
        throw failure.code !== "SSO_REJECTED"
          ? failure
          : new VerityError("SSO_UNAVAILABLE", { message: `Signing in with ${config.label} is not working right now; Verity's log says why.`, details: failure.details });
      }
    },

    async complete(callbackUrl, expected) {
      const oidc = await openidClient();
      let built: Oidc.Configuration | undefined;
      try {
        built = await configuration(oidc);
        const tokens = await oidc.authorizationCodeGrant(built, callbackUrl, {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (claims === undefined) throw new VerityError("SSO_REJECTED", { details: { reason: "the token response has no ID token" } });
        return identityFromClaims(config, claims);
      } catch (error) {
        throw ssoFailure(config.name, error);
      } finally {
        if (built !== undefined) party.remember(oidc, built);
      }
    },

    close: () => party.close(),
  };
}
