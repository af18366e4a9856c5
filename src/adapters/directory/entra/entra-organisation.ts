import type { Logger } from "pino";
import { isVerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import { createSingleFlightCache } from "../../shared/single-flight-cache.js";
import { organizationSchema } from "./entra-schemas.js";
import type { GraphClient } from "./graph-client.js";

const NAME_TTL_MS = 12 * 60 * 60 * 1000;
const REFUSED_TTL_MS = 60 * 60 * 1000;
/** `GET /organization` needs this (or Directory.Read.All); User.Read.All does not cover it. */
export const ORGANIZATION_PERMISSION = "Organization.Read.All";

export interface EntraOrganisations {
  /**
   * The display name of an Entra tenant's organisation, or null when Graph will not say. Never
   * rejects: a missing permission or an outage leaves the name unknown, not the lookup failed.
   */
  displayName(tenant: string): Promise<string | null>;
}

/**
 * Reads `GET /organization?$select=displayName` once per Entra tenant and keeps the name for 12
 * hours; concurrent lookups share one read. A tenant that refuses the read (the app lacks
 * Organization.Read.All there) is warned about once and asked again after an hour, so a consent
 * granted later is picked up; failures that may pass (throttling, 5xx) are not remembered.
 */
export function createEntraOrganisations(deps: {
  readonly graph: GraphClient;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
}): EntraOrganisations {
  const cache = createSingleFlightCache<string | null>(deps.clock);
  const warned = new Set<string>();

  const load = async (tenant: string) => {
    try {
      const organizations = await deps.graph.list(
        { tenant, path: "/organization?$select=displayName", permission: ORGANIZATION_PERMISSION },
        organizationSchema,
      );
      const name = organizations[0]?.displayName?.trim();
      return { ok: true as const, value: name === undefined || name === "" ? null : name, ttlMs: NAME_TTL_MS };
    } catch (error) {
      if (!isVerityError(error) || error.code !== "UPSTREAM_AUTH_FAILED") throw error;
      if (!warned.has(tenant)) {
        warned.add(tenant);
        deps.log.warn({ tenant, reason: error.message }, "Microsoft Graph will not name this Entra tenant's organisation (grant Organization.Read.All); it stays unknown");
      }
      return { ok: true as const, value: null, ttlMs: REFUSED_TTL_MS };
    }
  };

  return {
    async displayName(tenant) {
      try {
        return await cache.get(tenant, () => load(tenant));
      } catch (error) {
        deps.log.debug({ tenant, reason: error instanceof Error ? error.message : "unknown" }, "the Entra organisation name could not be read");
        return null;
      }
    },
  };
}
