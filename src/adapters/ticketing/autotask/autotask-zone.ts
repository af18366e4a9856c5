import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { OutboundClient, OutboundResponse } from "../../http/outbound.js";
import { OutboundError } from "../../http/outbound.js";
import { readJson } from "../../http/json.js";
import type { AutotaskConfig } from "./autotask-config.js";
import { autotaskErrorMessage, zoneInformationSchema } from "./autotask-schemas.js";

/** The REST base of the API user's zone, e.g. `https://webservices5.autotask.net/atservicesrest`. */
export interface ZoneSource {
  /** The zone, looked up once (concurrent callers share one lookup); failures are not kept. */
  get(): Promise<string>;
  /**
   * Forgets a discovered zone, so the next `get` looks it up again (after an answer that suggests
   * the database moved zones). False when the zone is configured and there is nothing to forget.
   */
  forget(): boolean;
}

/**
 * Zone discovery: `GET {zoneDiscoveryUrl}/v1.0/zoneInformation?user={username}`, sent without the
 * API credentials (the lookup needs none). The answer is trusted only if it is an https URL on
 * autotask.net or on the discovery URL's own origin, since every later call carries the secret.
 */
export function createZoneSource(
  config: Pick<AutotaskConfig, "username" | "zoneDiscoveryUrl" | "zoneUrl">,
  deps: { http: OutboundClient; log: Pick<Logger, "warn" | "debug"> },
): ZoneSource {
  if (config.zoneUrl !== undefined) {
    const fixed = config.zoneUrl;
    return { get: () => Promise.resolve(fixed), forget: () => false };
  }
  let cached: string | undefined;
  let inflight: Promise<string> | undefined;

  const discover = async (): Promise<string> => {
    const url = new URL(`${config.zoneDiscoveryUrl}/v1.0/zoneInformation`);
    url.searchParams.set("user", config.username);
    let response: OutboundResponse;
    try {
      response = await deps.http.request({ method: "GET", url, headers: { accept: "application/json" }, retry: "idempotent" });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw new VerityError("TICKETING_UNAVAILABLE", {
        message: `Autotask's zone lookup (${config.zoneDiscoveryUrl}) did not answer: ${error.message}`,
        details: { operation: "zone" },
        cause: error,
      });
    }
    if (response.status === 429 || response.status === 502 || response.status === 503 || response.status === 504) {
      throw new VerityError("TICKETING_UNAVAILABLE", { message: `Autotask's zone lookup answered HTTP ${response.status}; try again shortly.`, details: { operation: "zone", status: response.status } });
    }
    const parsed = zoneInformationSchema.safeParse(readJson(response.text));
    if (response.status !== 200 || !parsed.success) {
      const said = autotaskErrorMessage(response.text);
      throw new VerityError("UPSTREAM_AUTH_FAILED", {
        message: `Autotask's zone lookup found no zone for API user ${config.username} (HTTP ${response.status}${said === undefined ? "" : `: ${said}`}). Check username, or set zoneUrl.`,
        details: { operation: "zone", status: response.status },
      });
    }
    const zone = parsed.data.url.replace(/\/+$/, "");
    if (!trustedZone(zone, config.zoneDiscoveryUrl)) {
      throw new VerityError("TICKETING_ERROR", {
        message: `Autotask's zone lookup named ${new URL(zone).origin}, which is neither an https autotask.net address nor the lookup's own: refused. Set zoneUrl if this is right.`,
        details: { operation: "zone" },
      });
    }
    deps.log.debug({ service: "Autotask", zone }, "Autotask zone discovered");
    return zone;
  };

  return {
    async get() {
      if (cached !== undefined) return cached;
      inflight ??= discover().finally(() => {
        inflight = undefined;
      });
      cached = await inflight;
      return cached;
    },
    forget() {
      cached = undefined;
      return true;
    },
  };
}

function trustedZone(zone: string, discoveryUrl: string): boolean {
  const url = new URL(zone);
  if (url.username !== "" || url.password !== "") return false;
  if (url.protocol === "https:" && /(^|\.)autotask\.net$/i.test(url.hostname)) return true;
  return url.origin === new URL(discoveryUrl).origin;
}
