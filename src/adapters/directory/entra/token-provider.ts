import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import type { OutboundClient } from "../../http/outbound.js";
import { createAssertionSigner, type AssertionSigner } from "./client-assertion.js";
import type { EntraCredential } from "./entra-config.js";
import { tokenRefusal, unreachable } from "./entra-errors.js";
import { tokenResponseSchema } from "./entra-schemas.js";
import { createSingleFlightCache } from "../../shared/single-flight-cache.js";

const REFRESH_EARLY_MS = 5 * 60 * 1000;
const SERVICE = "The Microsoft Entra token endpoint";

export interface TokenProvider {
  /** A Graph access token for `tenant` (a GUID), fetched once and reused until shortly before expiry. */
  token(tenant: string): Promise<string>;
  /** Forgets the tenant's token (Graph refused it), so the next call fetches a fresh one. */
  invalidate(tenant: string): void;
}

/**
 * App-only Graph tokens through the client-credentials grant (v2.0 endpoint), with a client
 * secret or a certificate assertion. One cache entry per tenant, refreshed five minutes before
 * expiry (or halfway, for short-lived tokens); concurrent callers share one request.
 */
export function createTokenProvider(deps: {
  readonly http: OutboundClient;
  readonly loginUrl: string;
  readonly graphUrl: string;
  readonly clientId: string;
  readonly credential: EntraCredential;
  readonly clock: Clock;
  readonly log: Pick<Logger, "debug">;
}): TokenProvider {
  const cache = createSingleFlightCache<string>(deps.clock);
  const scope = `${deps.graphUrl}/.default`;
  const signer: AssertionSigner | undefined =
    deps.credential.kind === "certificate" ? createAssertionSigner({ ...deps.credential, clientId: deps.clientId }) : undefined;

  const form = (endpoint: string): string => {
    const fields = new URLSearchParams({ client_id: deps.clientId, scope, grant_type: "client_credentials" });
    if (deps.credential.kind === "secret") {
      fields.set("client_secret", deps.credential.secret.reveal());
    } else if (signer !== undefined) {
      fields.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      fields.set("client_assertion", signer.assertion(endpoint, deps.clock.now()));
    }
    return fields.toString();
  };

  const fetchToken = async (tenant: string) => {
    const endpoint = `${deps.loginUrl}/${tenant}/oauth2/v2.0/token`;
    let response;
    try {
      response = await deps.http.request({
        method: "POST",
        url: endpoint,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form(endpoint),
        retry: "idempotent",
      });
    } catch (error) {
      throw unreachable(SERVICE, error);
    }
    if (response.status !== 200) throw tokenRefusal({ loginUrl: deps.loginUrl, clientId: deps.clientId, tenant, scope }, response);
    let parsed;
    try {
      parsed = tokenResponseSchema.safeParse(JSON.parse(response.text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success !== true) throw new VerityError("DIRECTORY_UNAVAILABLE", { message: `${SERVICE} returned an unreadable token response.` });
    const lifetimeMs = parsed.data.expires_in * 1000;
    deps.log.debug({ tenant, expiresInSeconds: parsed.data.expires_in }, "fetched a Microsoft Graph token");
    return { ok: true as const, value: parsed.data.access_token, ttlMs: lifetimeMs - Math.min(REFRESH_EARLY_MS, lifetimeMs / 2) };
  };

  return {
    token: (tenant) => cache.get(tenant, () => fetchToken(tenant)),
    invalidate: (tenant) => cache.delete(tenant),
  };
}
