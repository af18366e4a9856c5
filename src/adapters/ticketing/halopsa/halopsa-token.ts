import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import type { OutboundClient, OutboundResponse } from "../../http/outbound.js";
import { OutboundError } from "../../http/outbound.js";
import type { HaloConfig } from "./halopsa-config.js";
import { haloErrorMessage, haloTokenSchema } from "./halopsa-schemas.js";
import { readJson } from "../../http/json.js";

/** Halo documents 3600 s; a response without `expires_in` is trusted for less. */
const FALLBACK_LIFETIME_S = 300;
const MAX_REFRESH_MARGIN_MS = 60_000;

/** Access tokens for the HaloPSA API, fetched with the client-credentials grant and cached. */
export interface HaloTokenSource {
  /** A token that is valid for a while yet; concurrent callers share one token request. */
  get(): Promise<string>;
  /** Forgets `token` when it is still the cached one, because Halo answered 401 to it. */
  invalidate(token: string): void;
  /** Forgets the cached token whatever it is, so the next `get` asks Halo (a connection test). */
  forget(): void;
}

interface Cached {
  readonly token: string;
  readonly refreshAtMs: number;
}

/**
 * Creates the token source. `POST {authUrl}/token[?tenant=…]` with a form body; the token is
 * kept until shortly before `expires_in` by the injected clock.
 */
export function createHaloTokenSource(
  config: Pick<HaloConfig, "authUrl" | "tenant" | "clientId" | "clientSecret" | "scope">,
  deps: { http: OutboundClient; clock: Clock; log: Pick<Logger, "warn" | "debug"> },
): HaloTokenSource {
  let cached: Cached | undefined;
  let inflight: Promise<Cached> | undefined;

  const fetchToken = async (): Promise<Cached> => {
    const url = new URL(`${config.authUrl}/token`);
    if (config.tenant !== undefined) url.searchParams.set("tenant", config.tenant);
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: config.clientId,
      client_secret: config.clientSecret.reveal(),
      scope: config.scope,
    }).toString();
    let response: OutboundResponse;
    try {
      response = await deps.http.request({
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        retry: "idempotent",
      });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw new VerityError("TICKETING_UNAVAILABLE", {
        message: `HaloPSA's authorisation server (${config.authUrl}) did not answer: ${error.message}`,
        details: { operation: "token" },
        cause: error,
      });
    }
    if (response.status !== 200) throw tokenRefused(config, response);
    const parsed = haloTokenSchema.safeParse(readJson(response.text));
    if (!parsed.success) {
      throw new VerityError("TICKETING_ERROR", {
        message: `HaloPSA's token response was not understood. Check that authUrl (${config.authUrl}) is the Authorisation Server shown under Configuration > Integrations > HaloPSA API.`,
        details: { operation: "token" },
      });
    }
    const lifetimeMs = (parsed.data.expires_in ?? FALLBACK_LIFETIME_S) * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 4);
    deps.log.debug({ service: "HaloPSA", expiresInSeconds: parsed.data.expires_in }, "HaloPSA access token obtained");
    return { token: parsed.data.access_token, refreshAtMs: deps.clock.now().getTime() + lifetimeMs - margin };
  };

  return {
    async get() {
      if (cached !== undefined && deps.clock.now().getTime() < cached.refreshAtMs) return cached.token;
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      cached = await inflight;
      return cached.token;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
    forget() {
      cached = undefined;
    },
  };
}

function tokenRefused(config: Pick<HaloConfig, "authUrl" | "tenant" | "scope">, response: OutboundResponse): VerityError {
  const said = haloErrorMessage(response.text);
  const details = { operation: "token", status: response.status };
  if (response.status === 429 || response.status >= 500) {
    return new VerityError("TICKETING_UNAVAILABLE", {
      message: `HaloPSA's authorisation server answered HTTP ${response.status}; try again shortly.`,
      details,
    });
  }
  const tenantHint =
    config.tenant === undefined
      ? "Halo-hosted instances also need `tenant` (the instance name)."
      : `Check that tenant "${config.tenant}" is your instance's tenant (self-hosted instances must leave it out).`;
  return new VerityError("UPSTREAM_AUTH_FAILED", {
    message:
      `HaloPSA did not issue an access token (HTTP ${response.status}${said === undefined ? "" : `: ${said}`}). ` +
      "Check clientId and clientSecret against the API application under Configuration > Integrations > HaloPSA API > View Applications, " +
      `that its authentication method is "Client ID and Secret (Services)" and that it allows scope "${config.scope}". ` +
      `Check that authUrl (${config.authUrl}) is the Authorisation Server shown there. ${tenantHint}`,
    details,
  });
}
