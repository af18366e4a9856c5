import { createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";
import { oktaError, type OktaErrorReply } from "./fake-okta-resources.js";
import type { FakeOktaApiToken, FakeOktaServiceApp } from "./fake-okta-types.js";

/** Who an API call acts as, and what it may do. */
export interface FakePrincipal {
  readonly kind: "ssws" | "oauth";
  readonly role: "super" | "read-only";
  /** Granted OAuth scopes; null for an API token (its admin role decides). */
  readonly scopes: readonly string[] | null;
}

interface IssuedToken {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly role: "super" | "read-only";
  readonly expiresAt: number;
}

export interface FakeOktaAuth {
  /** The principal of an Authorization header, or Okta's 401. */
  principal(authorization: string | undefined, now: number): FakePrincipal | OktaErrorReply;
  /** The org authorization server's `/oauth2/v1/token` (client credentials, private_key_jwt). */
  token(form: URLSearchParams, tokenUrl: string, now: number): { status: number; body: Record<string, unknown> };
  /** Access tokens issued so far (for tests). */
  readonly issued: ReadonlyMap<string, IssuedToken>;
  /** Forgets every issued access token, as if Okta revoked them. */
  revokeAll(): void;
}

const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export function createFakeOktaAuth(options: {
  readonly apiTokens: readonly FakeOktaApiToken[];
  readonly serviceApps: readonly FakeOktaServiceApp[];
  readonly tokenLifetimeSeconds: number;
}): FakeOktaAuth {
  const issued = new Map<string, IssuedToken>();
  const usedJtis = new Set<string>();
  const apps = options.serviceApps.map((app) => ({ app, keys: app.publicKeys.map((k) => ({ kid: k.kid, key: createPublicKey(k.pem) })) }));
  const invalidToken = () => oktaError(401, "E0000011", "Invalid token provided");

  const oauthError = (status: number, error: string, description: string) => ({ status, body: { error, error_description: description } });
  const invalidClient = (description: string) => oauthError(401, "invalid_client", description);

  return {
    issued,
    revokeAll: () => issued.clear(),
    principal(authorization, now) {
      const [scheme, credential] = (authorization ?? "").split(/\s+/, 2);
      if (scheme === "SSWS" && credential !== undefined) {
        const token = options.apiTokens.find((t) => t.token === credential);
        return token === undefined ? invalidToken() : { kind: "ssws", role: token.role, scopes: null };
      }
      if (scheme === "Bearer" && credential !== undefined) {
        const token = issued.get(credential);
        if (token === undefined || token.expiresAt <= now) return invalidToken();
        return { kind: "oauth", role: token.role, scopes: token.scopes };
      }
      return invalidToken();
    },
    token(form, tokenUrl, now) {
      if (form.get("grant_type") !== "client_credentials") {
        return oauthError(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");
      }
      const assertion = form.get("client_assertion");
      if (form.get("client_assertion_type") !== JWT_BEARER || assertion === null) {
        return invalidClient("Client authentication failed. Either the client or the client credentials are invalid.");
      }
      const checked = checkAssertion(assertion, tokenUrl, now);
      if ("error" in checked) return invalidClient(checked.error);
      const { app } = checked;
      if (form.get("client_id") !== null && form.get("client_id") !== app.clientId) return invalidClient("The client_id does not match the client_assertion.");
      if (app.requireDpop === true) return oauthError(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.");
      const requested = (form.get("scope") ?? "").split(" ").filter((s) => s !== "");
      if (requested.length === 0) return oauthError(400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.");
      const refused = requested.filter((s) => !app.scopes.includes(s));
      if (refused.length > 0) return oauthError(400, "invalid_scope", `The following scopes are not allowed: ${refused.join(", ")}`);
      const accessToken = randomBytes(32).toString("base64url");
      issued.set(accessToken, { clientId: app.clientId, scopes: requested, role: app.role ?? "super", expiresAt: now + options.tokenLifetimeSeconds * 1000 });
      return { status: 200, body: { token_type: "Bearer", expires_in: options.tokenLifetimeSeconds, access_token: accessToken, scope: requested.join(" ") } };
    },
  };

  /** Checks a private_key_jwt assertion as the org authorization server does. */
  function checkAssertion(assertion: string, tokenUrl: string, now: number): { app: FakeOktaServiceApp } | { error: string } {
    const parts = assertion.split(".");
    if (parts.length !== 3) return { error: "The client_assertion token is malformed." };
    const [encodedHeader = "", encodedClaims = "", encodedSignature = ""] = parts;
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(encodedHeader, "base64url").toString("utf8")) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(encodedClaims, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      return { error: "The client_assertion token is malformed." };
    }
    const found = apps.find((a) => a.app.clientId === claims.iss);
    if (found === undefined || claims.sub !== claims.iss) return { error: "The client_assertion token has an invalid 'iss' or 'sub' claim." };
    const candidates: KeyObject[] = found.keys.filter((k) => header.kid === undefined || k.kid === header.kid).map((k) => k.key);
    if (candidates.length === 0) return { error: `The client_assertion token's kid '${String(header.kid)}' does not match any key of the client.` };
    const data = Buffer.from(`${encodedHeader}.${encodedClaims}`);
    const signature = Buffer.from(encodedSignature, "base64url");
    const valid = candidates.some((key) =>
      header.alg === "RS256" && key.asymmetricKeyType === "rsa"
        ? verify("sha256", data, key, signature)
        : header.alg === "ES256" && key.asymmetricKeyType === "ec"
          ? verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature)
          : false,
    );
    if (!valid) return { error: "The client_assertion signature is invalid." };
    if (claims.aud !== tokenUrl) return { error: "The audience claim for client_assertion must be the endpoint invoking the request." };
    const seconds = now / 1000;
    if (typeof claims.exp !== "number" || claims.exp <= seconds) return { error: "The client_assertion token is expired." };
    if (claims.exp > seconds + MAX_ASSERTION_LIFETIME_SECONDS) return { error: "The client_assertion token has an expiration too far in the future." };
    if (typeof claims.jti !== "string" || claims.jti === "") return { error: "The client_assertion token must contain a 'jti' claim." };
    if (usedJtis.has(claims.jti)) return { error: "The client_assertion token has already been used." };
    usedJtis.add(claims.jti);
    return { app: found.app };
  }
}

/** Whether a principal may make a call, by the OAuth scope or admin role it needs. */
export function permission(principal: FakePrincipal, needs: "okta.users.read" | "okta.users.manage" | "okta.roles.read", links: string): OktaErrorReply | null {
  if (principal.scopes !== null && !principal.scopes.includes(needs)) {
    return oktaError(403, "E0000006", "You do not have permission to perform the requested action", [], {
      "www-authenticate": `Bearer authorization_uri="${links}/oauth2/v1/authorize", realm="${links}", scope="${needs}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/users"`,
    });
  }
  if (needs === "okta.users.manage" && principal.role === "read-only") {
    return oktaError(403, "E0000006", "You do not have permission to perform the requested action");
  }
  return null;
}
