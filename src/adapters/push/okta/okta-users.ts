import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import { createSingleFlightCache } from "../../shared/single-flight-cache.js";
import type { OktaClient } from "../../okta-shared/okta-client.js";
import { oktaError } from "../../okta-shared/okta-errors.js";
import { parseJson } from "../../http/json.js";
import { oktaFactorListSchema, oktaUserSchema, type OktaFactor } from "./okta-schemas.js";

/** An Okta user as Verity needs it: the immutable id the Factors API takes, and the status. */
export interface OktaUserRef {
  readonly id: string;
  readonly status: string | undefined;
}

/** Found users are remembered briefly (ids never change); misses for less, so a fix shows soon. */
const FOUND_TTL_MS = 5 * 60 * 1000;
const MISSING_TTL_MS = 30 * 1000;

export interface OktaUsers {
  /** The user for an Okta id, login or login shortname; null when Okta has no such user. */
  find(idOrLogin: string): Promise<OktaUserRef | null>;
  /** The user's enrolled factors, read fresh each time. */
  factors(userId: string): Promise<OktaFactor[]>;
}

/** User lookups (`GET /api/v1/users/{id}`, cached) and factor lists over one Okta client. */
export function createOktaUsers(client: OktaClient, clock: Clock): OktaUsers {
  const cache = createSingleFlightCache<OktaUserRef | null>(clock, 5000);

  const load = async (idOrLogin: string) => {
    const action = `look up the Okta user ${idOrLogin}`;
    const response = await client.send({
      method: "GET",
      url: `${client.orgUrl}/api/v1/users/${encodeURIComponent(idOrLogin)}`,
      retry: "idempotent",
      action,
      scope: "okta.users.read",
    });
    if (response.status === 404) {
      const code = oktaError(response)?.errorCode;
      if (code !== undefined && code !== "E0000007") throw client.failure(response, { action, scope: "okta.users.read" });
      return { ok: true as const, value: null, ttlMs: MISSING_TTL_MS };
    }
    if (response.status !== 200) throw client.failure(response, { action, scope: "okta.users.read" });
    const user = parseJson(oktaUserSchema, response.text);
    if (user === undefined) throw new VerityError("PROVIDER_ERROR", { message: `Okta answered in a form Verity cannot read while it tried to ${action}.` });
    return { ok: true as const, value: { id: user.id, status: user.status }, ttlMs: FOUND_TTL_MS };
  };

  return {
    find(idOrLogin) {
      // Okta cannot fetch a login containing "/" by login (the path would split), only by id.
      if (idOrLogin.includes("/") || idOrLogin.trim() === "") return Promise.resolve(null);
      return cache.get(idOrLogin, () => load(idOrLogin));
    },
    factors(userId) {
      return client.read(
        { url: `${client.orgUrl}/api/v1/users/${encodeURIComponent(userId)}/factors`, action: "list the user's Okta factors", scope: "okta.users.read" },
        oktaFactorListSchema,
      );
    },
  };
}

/** The NO_USABLE_FACTOR error for a provider user id Okta does not know. */
export function unknownUser(providerUserId: string, displayName: string): VerityError {
  return new VerityError("NO_USABLE_FACTOR", { message: missingUserText(providerUserId, displayName) });
}

/** Why Okta has no such user, and where the mapping that chose the id lives. */
export function missingUserText(providerUserId: string, displayName: string): string {
  return `Okta has no user ${providerUserId} for ${displayName}. Check the tenant's userId rule for this method (for example okta-push: { provider: okta, userId: upn }, or mail / upn-prefix / sam-account-name) so it gives the user's Okta login or id.`;
}
