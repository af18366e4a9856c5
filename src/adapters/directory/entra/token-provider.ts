import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import type { OutboundClient } from "../../http/outbound.js";
import { createAssertionSigner, type AssertionSigner } from "./client-assertion.js";
import type { EntraCredential } from "./entra-config.js";
import { tokenRefusal, unreachable } from "./entra-errors.js";
import { readTokenAnswer } from "./entra-schemas.js";
import { createSingleFlightCache } from "../../shared/single-flight-cache.js";

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
    const answer = readTokenAnswer(response.text);
    if (answer === undefined) throw new VerityError("DIRECTORY_UNAVAILABLE", { message: `${SERVICE} returned an unreadable token response.` });
    deps.log.debug({ tenant, expiresInSeconds: answer.expiresInSeconds }, "fetched a Microsoft Graph token");
    return { ok: true as const, value: answer.value, ttlMs: answer.ttlMs };
  };

  return {
    token: (tenant) => cache.get(tenant, () => fetchToken(tenant)),
    invalidate: (tenant) => cache.delete(tenant),
  };
}
