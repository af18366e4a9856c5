import type { Logger } from "pino";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createSingleFlightCache } from "../shared/single-flight-cache.js";
import type { OutboundClient } from "../http/outbound.js";
import { createOktaAssertionSigner } from "./okta-client-assertion.js";
import type { OktaConnection } from "./okta-connection.js";
import { tokenRefusal, unreachable } from "./okta-errors.js";
import { parseJson } from "../http/json.js";
import { tokenResponseSchema } from "./okta-api-schemas.js";

const REFRESH_EARLY_MS = 5 * 60 * 1000;

export interface OktaAuthorizer {
  /** The Authorization header value for one API call. */
  header(): Promise<string>;
  /** Forgets a refused access token; false when there is nothing to refresh (an API token). */
  invalidate(): boolean;
}

/**
 * Credentials for the Management API: `SSWS {token}` for an API token, or `Bearer {token}` from
 * the org authorization server's client-credentials grant with a `private_key_jwt` assertion
 * (aud = `{orgUrl}/oauth2/v1/token`). The access token is reused until five minutes before it
 * expires (or halfway, if it is short-lived), and concurrent callers share one token request.
 * DPoP-bound tokens are not supported: an app that requires them is refused with what to change.
 */
export function createOktaAuthorizer(deps: {
  readonly config: OktaConnection;
  readonly http: OutboundClient;
  readonly clock: Clock;
  readonly log: Pick<Logger, "debug">;
}): OktaAuthorizer {
  const auth = deps.config.auth;
  if (auth.kind === "ssws") {
    return { header: () => Promise.resolve(`SSWS ${auth.token.reveal()}`), invalidate: () => false };
  }
  const tokenUrl = `${deps.config.orgUrl}/oauth2/v1/token`;
  const signer = createOktaAssertionSigner(auth);
  const cache = createSingleFlightCache<string>(deps.clock, 1);

  const fetchToken = async () => {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      scope: auth.scopes.join(" "),
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: signer.assertion(tokenUrl, deps.clock.now()),
    }).toString();
    let response;
    try {
      // Every attempt would reuse one assertion's jti, so only a request that never left is repeated.
      response = await deps.http.request({
        method: "POST",
        url: tokenUrl,
        headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
        body,
        retry: "not-sent-only",
      });
    } catch (error) {
      throw unreachable(error, "get an access token from Okta");
    }
    const nowMs = deps.clock.now().getTime();
    if (response.status !== 200) throw tokenRefusal(response, { clientId: auth.clientId, scopes: auth.scopes, nowMs });
    const token = parseJson(tokenResponseSchema, response.text);
    if (token === undefined) {
      throw new VerityError("PROVIDER_ERROR", { message: "Okta's token endpoint returned an answer Verity cannot read." });
    }
    if (token.token_type.toLowerCase() !== "bearer") {
      throw new VerityError("UPSTREAM_AUTH_FAILED", {
        message: `Okta issued a ${token.token_type} token to API service app ${auth.clientId}; Verity sends Bearer tokens only. Clear "Require Demonstrating Proof of Possession (DPoP) header in token requests" on the app.`,
      });
    }
    const lifetimeMs = token.expires_in * 1000;
    deps.log.debug({ clientId: auth.clientId, expiresInSeconds: token.expires_in }, "fetched an Okta access token");
    return { ok: true as const, value: token.access_token, ttlMs: lifetimeMs - Math.min(REFRESH_EARLY_MS, lifetimeMs / 2) };
  };

  return {
    header: async () => `Bearer ${await cache.get("token", fetchToken)}`,
    invalidate() {
      cache.delete("token");
      return true;
    },
  };
}
