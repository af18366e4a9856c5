import { VerityError } from "../../domain/errors.js";
import { OutboundError, type OutboundResponse } from "../http/outbound.js";
import type { OktaAuthConfig } from "./okta-connection.js";
import { readRateLimit, secondsUntilReset } from "./okta-rate-limit.js";
import { parseJson } from "../http/json.js";
import { oauthErrorSchema, oktaErrorSchema, type OktaErrorBody } from "./okta-api-schemas.js";

/** When a 429 comes without X-Rate-Limit-Reset. */
const DEFAULT_RETRY_AFTER_SECONDS = 10;

/** What an error message may say about the call that failed. */
export interface OktaCallContext {
  readonly auth: OktaAuthConfig;
  /** What Verity was doing, as a verb phrase: "look up the Okta user jane@acme.com". */
  readonly action: string;
  /** The OAuth scope the call needs. */
  readonly scope: string;
  readonly nowMs: number;
}

/** Okta's error envelope of an answer, when it has one. */
export function oktaError(response: Pick<OutboundResponse, "text">): OktaErrorBody | undefined {
  return parseJson(oktaErrorSchema, response.text);
}

/** Okta's summary, made safe to show: one line, no control characters, bounded. */
export function summaryOf(body: OktaErrorBody | undefined): string {
  const raw = body?.errorCauses?.[0]?.errorSummary ?? body?.errorSummary ?? "";
  const line = raw.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

const details = (response: OutboundResponse, body: OktaErrorBody | undefined) => ({
  provider: "okta",
  httpStatus: response.status,
  ...(body?.errorCode === undefined ? {} : { providerCode: body.errorCode }),
  ...(body?.errorId === undefined ? {} : { oktaErrorId: body.errorId }),
});

/** A 429 from Okta: the org's (or this token's) budget is spent until X-Rate-Limit-Reset. */
export function rateLimited(response: OutboundResponse, nowMs: number, action: string): VerityError {
  const after = secondsUntilReset(readRateLimit(response.headers, nowMs)) ?? DEFAULT_RETRY_AFTER_SECONDS;
  return new VerityError("PROVIDER_UNAVAILABLE", {
    message: `Okta's API rate limit is used up (E0000047) while Verity tried to ${action}; it resets in about ${after} s.`,
    retryAfterSeconds: after,
    details: details(response, oktaError(response)),
  });
}

/**
 * Maps an Okta answer that is not a success to Verity's errors: credentials and permissions to
 * UPSTREAM_AUTH_FAILED with what an administrator must change, throttling and outages to
 * PROVIDER_UNAVAILABLE, anything else to PROVIDER_ERROR with Okta's summary.
 */
export function apiFailure(response: OutboundResponse, ctx: OktaCallContext): VerityError {
  const body = oktaError(response);
  const code = body?.errorCode;
  if (response.status === 429 || code === "E0000047") return rateLimited(response, ctx.nowMs, ctx.action);
  if (response.status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", { message: unauthorised(ctx.auth, code), details: details(response, body) });
  }
  if (response.status === 403 && (code === undefined || code === "E0000006" || code === "E0000005")) {
    return new VerityError("UPSTREAM_AUTH_FAILED", { message: forbidden(ctx, code), details: details(response, body) });
  }
  if (response.status >= 500) {
    return new VerityError("PROVIDER_UNAVAILABLE", {
      message: `Okta answered HTTP ${response.status} while Verity tried to ${ctx.action}; try again shortly.`,
      details: details(response, body),
    });
  }
  const summary = summaryOf(body);
  return new VerityError("PROVIDER_ERROR", {
    message: `Okta refused to ${ctx.action}${summary === "" ? "" : `: ${summary}`} (${code ?? `HTTP ${response.status}`}).`,
    details: details(response, body),
  });
}

function unauthorised(auth: OktaAuthConfig, code: string | undefined): string {
  const tag = code ?? "HTTP 401";
  if (auth.kind === "ssws") {
    return `Okta refused the API token (${tag}, invalid token). A token stops working when it is revoked, after 30 days unused, or when the admin who created it is deactivated. An administrator must create a new token (Security › API › Tokens), or better, set up an API service app (auth.kind: oauth).`;
  }
  return `Okta refused the access token of API service app ${auth.clientId} (${tag}, invalid token). An administrator must check that the app is active and does not require DPoP-bound tokens.`;
}

function forbidden(ctx: OktaCallContext, code: string | undefined): string {
  const tag = `${code ?? "HTTP 403"}, access denied`;
  if (ctx.auth.kind === "ssws" && ctx.scope.endsWith(".manage")) {
    return `Okta would not let the API token ${ctx.action} (${tag}). The token acts with the admin roles of the admin who created it: that admin needs a role that may manage users' factors (Super or Organization Administrator, or a custom role with user MFA permissions); a read-only admin's token cannot send pushes or check passcodes.`;
  }
  if (ctx.auth.kind === "ssws") {
    return `Okta would not let the API token ${ctx.action} (${tag}). The token acts with the admin roles of the admin who created it: that admin needs a role that may read users, their groups, factors and admin roles (Read-Only Administrator or above) for every user Verity looks up.`;
  }
  return `Okta would not let API service app ${ctx.auth.clientId} ${ctx.action} (${tag}). An administrator must grant the app the ${ctx.scope} scope (Okta API Scopes tab) and assign it an admin role that covers this user (Admin roles tab).`;
}

/** A call that got no answer. `ambiguous` on a verify means a prompt may already be on the phone. */
export function unreachable(error: unknown, action: string, effect: "none" | "push" | "passcode" = "none"): VerityError {
  if (error instanceof VerityError) return error;
  const reason = error instanceof OutboundError ? error.message : "Okta could not be reached.";
  const mayHaveActed = error instanceof OutboundError && error.kind === "ambiguous";
  const consequence = !mayHaveActed
    ? ""
    : effect === "push"
      ? " A prompt may already be on the caller's phone: ask them to deny it before you try again."
      : effect === "passcode"
        ? " Okta may have used up that code: ask the caller for the next one."
        : "";
  return new VerityError("PROVIDER_UNAVAILABLE", {
    message: `Verity could not ${action}: ${reason}${consequence}`,
    cause: error,
    details: { provider: "okta", ambiguous: mayHaveActed },
  });
}

/**
 * Turns a refusal from the org authorization server (`/oauth2/v1/token`) into what an
 * administrator must fix. Only the client id, the OAuth error and Okta's description appear.
 */
export function tokenRefusal(response: OutboundResponse, ctx: { clientId: string; scopes: readonly string[]; nowMs: number }): VerityError {
  if (response.status === 429) return rateLimited(response, ctx.nowMs, "get an access token");
  if (response.status >= 500) {
    return new VerityError("PROVIDER_UNAVAILABLE", { message: `Okta's token endpoint answered HTTP ${response.status}; try again shortly.` });
  }
  const body = parseJson(oauthErrorSchema, response.text);
  const said = (body?.error_description ?? "").replace(/[\r\n]+/g, " ").slice(0, 200);
  const app = `API service app ${ctx.clientId}`;
  const why = body === undefined ? `HTTP ${response.status}` : `${body.error}${said === "" ? "" : `: ${said}`}`;
  const fix = (() => {
    switch (body?.error) {
      case "invalid_client":
        return `Check that ${app} uses "Public key / Private key" client authentication and that the public key registered on it matches the configured privateKey (and keyId, if set).`;
      case "invalid_scope":
        return `Grant ${app} the scopes ${ctx.scopes.join(" and ")} on its Okta API Scopes tab.`;
      case "unauthorized_client":
        return `${app} must be an API Services app that may use the client credentials grant.`;
      case "invalid_dpop_proof":
      case "use_dpop_nonce":
        return `${app} requires DPoP-bound tokens, which Verity does not send: clear "Require Demonstrating Proof of Possession (DPoP) header in token requests" on the app.`;
      default:
        return `Check ${app}'s client credentials, key and scopes in the Okta Admin Console.`;
    }
  })();
  return new VerityError("UPSTREAM_AUTH_FAILED", {
    message: `Okta refused Verity's token request for ${app} (${why}). ${fix}`,
    details: { provider: "okta", httpStatus: response.status, ...(body === undefined ? {} : { oauthError: body.error }) },
  });
}
