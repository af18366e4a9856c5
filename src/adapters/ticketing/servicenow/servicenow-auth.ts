import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import type { OutboundClient, OutboundResponse } from "../../http/outbound.js";
import { OutboundError } from "../../http/outbound.js";
import { readJson } from "../../http/json.js";
import type { SnowAuthConfig } from "./servicenow-config.js";
import { snowErrorMessage, snowTokenSchema } from "./servicenow-schemas.js";

/** The documented example issues 1799 s; a response without `expires_in` is trusted for less. */
const FALLBACK_LIFETIME_S = 300;
const MAX_REFRESH_MARGIN_MS = 60_000;

/** The `Authorization` header for the Table API: Basic credentials, or an OAuth token kept until shortly before it expires. */
export interface SnowAuthSource {
  /** A header value; concurrent callers share one token request. */
  header(): Promise<string>;
  /** Forgets `header` when it is still the cached one, because ServiceNow answered 401 to it. Basic has nothing to forget. */
  invalidate(header: string): void;
  /** Forgets the cached token whatever it is (a connection test). */
  forget(): void;
  /** Whether a 401 may be cured by asking again (OAuth), or means the credentials are wrong (Basic). */
  readonly renewable: boolean;
}

interface Cached {
  readonly header: string;
  readonly refreshAtMs: number;
}

/**
 * Creates the auth source. OAuth: `POST {instanceUrl}/oauth_token.do` with a form body
 * (`grant_type=client_credentials|password`, `client_id`, `client_secret`, and for the password
 * grant `username`, `password`). The refresh token is not used: asking again with the same grant
 * is one request either way and leaves no long-lived token in memory.
 */
export function createSnowAuth(
  instanceUrl: string,
  auth: SnowAuthConfig,
  deps: { http: OutboundClient; clock: Clock; log: Pick<Logger, "warn" | "debug"> },
): SnowAuthSource {
  if (auth.kind === "basic") {
    const header = `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`, "utf8").toString("base64")}`;
    return { header: () => Promise.resolve(header), invalidate: () => undefined, forget: () => undefined, renewable: false };
  }
  let cached: Cached | undefined;
  let inflight: Promise<Cached> | undefined;

  const fetchToken = async (): Promise<Cached> => {
    const form = new URLSearchParams({ grant_type: auth.grant, client_id: auth.clientId, client_secret: auth.clientSecret.reveal() });
    if (auth.grant === "password") {
      form.set("username", auth.username ?? "");
      form.set("password", auth.password?.reveal() ?? "");
    }
    let response: OutboundResponse;
    try {
      response = await deps.http.request({
        method: "POST",
        url: `${instanceUrl}/oauth_token.do`,
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        retry: "idempotent",
      });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw new VerityError("TICKETING_UNAVAILABLE", {
        message: `ServiceNow's token endpoint (${instanceUrl}/oauth_token.do) did not answer: ${error.message}`,
        details: { operation: "token" },
        cause: error,
      });
    }
    if (response.status !== 200) throw tokenRefused(instanceUrl, auth.grant, response);
    const parsed = snowTokenSchema.safeParse(readJson(response.text));
    if (!parsed.success) {
      throw new VerityError("TICKETING_ERROR", {
        message: `ServiceNow's token response was not understood. Check that instanceUrl (${instanceUrl}) is the instance itself and that OAuth is enabled on it.`,
        details: { operation: "token" },
      });
    }
    const lifetimeMs = (parsed.data.expires_in ?? FALLBACK_LIFETIME_S) * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 4);
    deps.log.debug({ service: "ServiceNow", expiresInSeconds: parsed.data.expires_in }, "ServiceNow access token obtained");
    return { header: `Bearer ${parsed.data.access_token}`, refreshAtMs: deps.clock.now().getTime() + lifetimeMs - margin };
  };

  return {
    renewable: true,
    async header() {
      if (cached !== undefined && deps.clock.now().getTime() < cached.refreshAtMs) return cached.header;
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      cached = await inflight;
      return cached.header;
    },
    invalidate(header) {
      if (cached?.header === header) cached = undefined;
    },
    forget() {
      cached = undefined;
    },
  };
}

function tokenRefused(instanceUrl: string, grant: string, response: OutboundResponse): VerityError {
  const said = snowErrorMessage(response.text);
  const details = { operation: "token", status: response.status };
  if (response.status === 429 || response.status >= 500) {
    return new VerityError("TICKETING_UNAVAILABLE", { message: `ServiceNow's token endpoint answered HTTP ${response.status}; try again shortly.`, details });
  }
  const grantHint =
    grant === "client_credentials"
      ? "The client_credentials grant also needs system property glide.oauth.inbound.client.credential.grant_type.enabled = true and an OAuth Application User on the OAuth entity."
      : "Check the integration user's username and password, and that the user is active.";
  return new VerityError("UPSTREAM_AUTH_FAILED", {
    message:
      `ServiceNow did not issue an access token (HTTP ${response.status}${said === undefined ? "" : `: ${said}`}). ` +
      `Check clientId and clientSecret against System OAuth > Application Registry on ${instanceUrl}. ${grantHint}`,
    details,
  });
}
