import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import type { OutboundClient } from "../../http/outbound.js";
import { aadstsCode, unavailableAfterRetries, unreachable } from "./entra-errors.js";
import { loginErrorSchema, openIdConfigurationSchema } from "./entra-schemas.js";
import { createSingleFlightCache } from "../../shared/single-flight-cache.js";
import { readJson } from "../../http/json.js";

const HIT_TTL_MS = 24 * 60 * 60 * 1000;
const MISS_TTL_MS = 5 * 60 * 1000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;
const SERVICE = "Microsoft Entra discovery";

/** Microsoft's login hosts and the `cloud_instance_name` their tenants report. */
const CLOUD_OF_LOGIN_HOST: Readonly<Record<string, string>> = {
  "login.microsoftonline.com": "microsoftonline.com",
  "login.windows.net": "microsoftonline.com",
  "login.microsoftonline.us": "microsoftonline.us",
  "login.partner.microsoftonline.cn": "partner.microsoftonline.cn",
  "login.chinacloudapi.cn": "partner.microsoftonline.cn",
};

/**
 * The cloud a login URL serves: Microsoft's hosts are known, an explicit setting wins, and any
 * other host (a proxy, a local fake) is taken to front the global cloud.
 */
export function cloudOfLoginUrl(loginUrl: string, configured?: string): string {
  return configured ?? CLOUD_OF_LOGIN_HOST[new URL(loginUrl).hostname.toLowerCase()] ?? "microsoftonline.com";
}

/** Whether `domain` is a syntactically valid DNS name (and so safe as a URL path segment). */
export function isDomainName(domain: string): boolean {
  return DOMAIN.test(domain);
}

export interface TenantResolver {
  /**
   * The Entra tenant GUID that owns `domain`.
   * @throws VerityError TENANT_NOT_FOUND for a domain no tenant has verified, or one in another cloud.
   * @throws VerityError DIRECTORY_UNAVAILABLE when the discovery document cannot be fetched.
   */
  resolve(domain: string): Promise<string>;
}

/**
 * Resolves tenants from verified domains through the unauthenticated OpenID discovery document.
 * Answers are cached for 24 hours and unknown domains for 5 minutes, and concurrent lookups of one
 * domain share one fetch.
 */
export function createTenantResolver(deps: {
  readonly http: OutboundClient;
  readonly loginUrl: string;
  readonly cloud: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "debug" | "info">;
}): TenantResolver {
  const cache = createSingleFlightCache<string>(deps.clock);

  const miss = (message: string, domain: string) => ({
    ok: false as const,
    error: new VerityError("TENANT_NOT_FOUND", { message, details: { domain } }),
    ttlMs: MISS_TTL_MS,
  });

  const discover = async (domain: string) => {
    const url = `${deps.loginUrl}/${encodeURIComponent(domain)}/v2.0/.well-known/openid-configuration`;
    let response;
    try {
      response = await deps.http.request({ method: "GET", url, retry: "idempotent" });
    } catch (error) {
      throw unreachable(SERVICE, error);
    }
    if (response.status === 429 || response.status >= 500) throw unavailableAfterRetries(SERVICE, response);
    const body = readJson(response.text);
    if (response.status !== 200) {
      const failure = loginErrorSchema.safeParse(body);
      if (response.status === 400 && failure.success && (aadstsCode(failure.data) === 90002 || failure.data.error === "invalid_tenant")) {
        deps.log.debug({ domain }, "no Entra tenant has verified this domain");
        return miss(`No Microsoft Entra tenant has verified the domain ${domain} (AADSTS90002), so Verity cannot look up its users.`, domain);
      }
      throw new VerityError("DIRECTORY_UNAVAILABLE", { message: `${SERVICE} answered HTTP ${response.status} for ${domain}.` });
    }
    const parsed = openIdConfigurationSchema.safeParse(body);
    if (!parsed.success) throw new VerityError("DIRECTORY_UNAVAILABLE", { message: `${SERVICE} returned an unreadable document for ${domain}.` });
    const document = parsed.data;
    const cloud = document.cloud_instance_name;
    if (cloud !== undefined && cloud.toLowerCase() !== deps.cloud.toLowerCase()) {
      const graph = document.msgraph_host === undefined ? "that cloud's Microsoft Graph" : `https://${document.msgraph_host}`;
      return miss(
        `The domain ${domain} belongs to an Entra tenant in the ${cloud} cloud, but this directory is configured for ${deps.cloud}. Configure a directory for that cloud: loginUrl ${loginOrigin(document.issuer)} and graphUrl ${graph}.`,
        domain,
      );
    }
    const tenant = tenantGuidOf(document.issuer, "v2.0") ?? tenantGuidOf(document.token_endpoint, "oauth2");
    if (tenant === undefined) throw new VerityError("DIRECTORY_UNAVAILABLE", { message: `${SERVICE} for ${domain} named no tenant GUID.` });
    deps.log.info({ domain, tenant }, "resolved the Entra tenant of a domain");
    return { ok: true as const, value: tenant, ttlMs: HIT_TTL_MS };
  };

  return {
    resolve(domain) {
      const key = domain.toLowerCase();
      if (!isDomainName(key)) return Promise.reject(new VerityError("TENANT_NOT_FOUND", { message: `'${domain}' is not a domain name.` }));
      return cache.get(key, () => discover(key));
    },
  };
}

/**
 * The tenant GUID in an issuer or token endpoint: the path segment before `marker`. On
 * Microsoft's hosts that is the URL's fourth `/`-separated segment; looking for the marker also
 * works when the login URL has a path of its own (a proxy).
 */
function tenantGuidOf(url: string, marker: string): string | undefined {
  let segments: string[];
  try {
    segments = new URL(url).pathname.split("/");
  } catch {
    return undefined;
  }
  const at = segments.lastIndexOf(marker);
  const candidate = at > 0 ? segments[at - 1] : undefined;
  return candidate !== undefined && GUID.test(candidate) ? candidate.toLowerCase() : undefined;
}

function loginOrigin(issuer: string): string {
  try {
    return new URL(issuer).origin;
  } catch {
    return "the tenant's login host";
  }
}
