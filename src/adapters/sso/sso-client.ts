import type { Logger } from "pino";
import type * as Oidc from "openid-client";
import { z } from "zod";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createOutboundClient } from "../http/outbound.js";
import { createSingleFlightCache } from "../shared/single-flight-cache.js";
import { ENTRA_ISSUER_BASE, type SsoProviderConfig } from "./sso-config.js";
import { ssoFailure } from "./sso-errors.js";
import { libraryFetch } from "./sso-fetch.js";
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
// Loaded at the first sign-in: the CLI and servers without single sign-on never load it.
let library: Promise<typeof Oidc> | undefined;
const openidClient = () => (library ??= import("openid-client"));
const DISCOVERY_TTL_MS = 3600_000;
const discoveryShape = z.looseObject({ issuer: z.string(), authorization_endpoint: z.string(), token_endpoint: z.string(), jwks_uri: z.string() });

/** Where OIDC discovery lives for an issuer (the same rule openid-client applies). */
function wellKnown(issuer: string): string {
  const url = new URL(issuer);
  url.pathname = `${url.pathname}/.well-known/openid-configuration`.replace("//", "/");
  return url.href;
}

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
  const { issuer, document } = endpoints(config);
  const outbound = createOutboundClient({ name: `the identity provider ${config.name}`, timeoutMs: config.timeoutSeconds * 1000, maxRetries: 1, ...(deps.log === undefined ? {} : { log: deps.log }) });
  const discovery = createSingleFlightCache<string>(deps.clock, 1);
  const authMethod = config.clientAuthMethod ?? (config.kind === "entra" ? "client_secret_post" : "client_secret_basic");
  let keys: Oidc.ExportedJWKSCache | undefined;

  const loadDocument = async () => {
    const answer = await outbound.request({ method: "GET", url: document, headers: { accept: "application/json" }, retry: "idempotent" });
    if (answer.status !== 200) throw new VerityError("SSO_UNAVAILABLE", { details: { reason: `discovery at ${document} answered ${answer.status}` } });
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    if (!discoveryShape.safeParse(parsed).success) throw new VerityError("SSO_UNAVAILABLE", { details: { reason: `discovery at ${document} is not an OpenID provider's metadata` } });
    return { ok: true as const, value: answer.text, ttlMs: DISCOVERY_TTL_MS };
  };

  /**
   * A Configuration per sign-in, from the cached discovery document and keys. Rebuilt each time
   * so the library's time checks (exp, nbf) use Verity's clock: its clockSkew is that clock's
   * distance from the system's, zero in production.
   */
  const configuration = async (oidc: typeof Oidc): Promise<Oidc.Configuration> => {
    const body = await discovery.get("document", loadDocument);
    const secret = config.clientSecret.reveal();
    const skew = Math.round((deps.clock.now().getTime() - Date.now()) / 1000);
    const built = await oidc.discovery(
      new URL(issuer),
      config.clientId,
      { [oidc.clockSkew]: skew },
      authMethod === "client_secret_post" ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret),
      {
        [oidc.customFetch]: libraryFetch(outbound, { url: wellKnown(issuer), body }),
        timeout: config.timeoutSeconds,
        // The ID token's signature is checked against the provider's JWKS, not taken on TLS's word.
        execute: [oidc.enableNonRepudiationChecks, ...(document.startsWith("http://") ? [oidc.allowInsecureRequests] : [])],
      },
    );
    if (keys !== undefined) oidc.setJwksCache(built, keys);
    return built;
  };

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
        if (built !== undefined) keys = oidc.getJwksCache(built) ?? keys;
      }
    },

    close: () => outbound.close(),
  };
}
