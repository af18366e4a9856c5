import type { Logger } from "pino";
import { isVerityError, VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import { cloudOfLoginUrl, createTenantResolver } from "../../directory/entra/tenant-resolver.js";
import type { OutboundClient } from "../../http/outbound.js";

const UPN = /^[^\s@]+@[^\s@]+$/;

/**
 * Checks that a provider user id can be the UPN the connector expects.
 * @throws VerityError VALIDATION_FAILED otherwise.
 */
export function connectorUpn(providerUserId: string): string {
  if (providerUserId.length > 1024 || !UPN.test(providerUserId)) {
    throw new VerityError("VALIDATION_FAILED", {
      message: "The Entra MFA connector needs the user's Entra user principal name (name@domain); check the method's userId rule.",
    });
  }
  return providerUserId;
}

export interface ConnectorTenants {
  /** The Entra tenant GUID whose connector serves `upn`: the pinned one, or the one that verified its domain. */
  tenantOf(upn: string): Promise<string>;
}

/**
 * Pinned tenant, or discovery from the UPN's domain through the Entra directory adapter's resolver
 * (cached 24 h; a tenant in another cloud than `loginUrl` is refused). Guests (`#EXT#` UPNs)
 * resolve through their host tenant's domain, which is the tenant that holds their MFA.
 */
export function createConnectorTenants(deps: {
  readonly pinned: string | undefined;
  readonly http: OutboundClient;
  readonly loginUrl: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "debug">;
}): ConnectorTenants {
  const pinned = deps.pinned;
  if (pinned !== undefined) return { tenantOf: () => Promise.resolve(pinned) };
  const resolver = createTenantResolver({
    http: deps.http,
    loginUrl: deps.loginUrl,
    cloud: cloudOfLoginUrl(deps.loginUrl),
    clock: deps.clock,
    log: { debug: deps.log.debug.bind(deps.log), info: deps.log.debug.bind(deps.log) },
  });
  return {
    async tenantOf(upn) {
      const domain = upn.slice(upn.lastIndexOf("@") + 1);
      try {
        return await resolver.resolve(domain);
      } catch (error) {
        if (!isVerityError(error)) throw error;
        // The resolver speaks for a directory; a push provider reports the same facts in its own codes.
        const code = error.code === "DIRECTORY_UNAVAILABLE" ? "PROVIDER_UNAVAILABLE" : "PROVIDER_ERROR";
        throw new VerityError(code, {
          message: error.message,
          cause: error,
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        });
      }
    },
  };
}
