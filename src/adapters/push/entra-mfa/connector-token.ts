import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import { createAssertionSigner, type AssertionSigner } from "../../directory/entra/client-assertion.js";
import { readTokenAnswer } from "../../directory/entra/entra-schemas.js";
import { createSingleFlightCache } from "../../shared/single-flight-cache.js";
import type { OutboundClient } from "../../http/outbound.js";
import type { EntraMfaCredential } from "./entra-mfa-config.js";
import { TOKEN_SERVICE, tokenRefusal, unreachable } from "./entra-mfa-errors.js";


export interface ConnectorTokens {
  /** An access token for the MFA connector in `tenant` (a GUID), reused until shortly before expiry. */
  token(tenant: string): Promise<string>;
  /** Forgets the tenant's token (the connector refused it). */
  invalidate(tenant: string): void;
}

/**
 * App-only tokens for the MFA connector from the **v1** token endpoint
 * (`{loginUrl}/{tenant}/oauth2/token` with `resource=`), as the NPS extension gets them: a client
 * assertion signed with the certificate registered on the MFA client's service principal, or a
 * secret. One cache entry per tenant; concurrent callers share one request.
 */
export function createConnectorTokens(deps: {
  readonly http: OutboundClient;
  readonly loginUrl: string;
  readonly resource: string;
  readonly clientId: string;
  readonly credential: EntraMfaCredential;
  readonly clock: Clock;
  readonly log: Pick<Logger, "debug">;
}): ConnectorTokens {
  const cache = createSingleFlightCache<string>(deps.clock);
  const credential = deps.credential;
  const signer: AssertionSigner | undefined = credential.kind === "certificate" ? createAssertionSigner({ ...credential, clientId: deps.clientId }) : undefined;

  const form = (endpoint: string): string => {
    const fields = new URLSearchParams({ grant_type: "client_credentials", client_id: deps.clientId, resource: deps.resource });
    if (credential.kind === "secret") {
      fields.set("client_secret", credential.secret.reveal());
    } else if (signer !== undefined) {
      fields.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      fields.set("client_assertion", signer.assertion(endpoint, deps.clock.now()));
    }
    return fields.toString();
  };

  const fetchToken = async (tenant: string) => {
    const endpoint = `${deps.loginUrl}/${encodeURIComponent(tenant)}/oauth2/token`;
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
      throw unreachable(TOKEN_SERVICE, error);
    }
    if (response.status !== 200) {
      throw tokenRefusal({ tenant, clientId: deps.clientId, resource: deps.resource, loginUrl: deps.loginUrl }, response);
    }
    const answer = readTokenAnswer(response.text);
    if (answer === undefined) throw new VerityError("PROVIDER_UNAVAILABLE", { message: `${TOKEN_SERVICE} returned an unreadable token response.` });
    deps.log.debug({ tenant, expiresInSeconds: answer.expiresInSeconds }, "fetched a token for the Entra MFA connector");
    return { ok: true as const, value: answer.value, ttlMs: answer.ttlMs };
  };

  return {
    token: (tenant) => cache.get(tenant, () => fetchToken(tenant)),
    invalidate: (tenant) => cache.delete(tenant),
  };
}
