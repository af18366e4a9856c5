import { isVerityError, VerityError } from "../../domain/errors.js";
import { OutboundError } from "../http/outbound.js";

const UNREACHABLE = new Set(["OAUTH_TIMEOUT", "OAUTH_ABORT", "OAUTH_RESPONSE_IS_NOT_CONFORM", "OAUTH_RESPONSE_IS_NOT_JSON"]);
const OAUTH_ERROR = /^[a-z0-9_]{1,64}$/;

// Reasons go to the audit log: CR, LF and other control characters never do (SECURITY.md A7 #38).
const clean = (s: string) => s.replace(/[\p{Cc}]+/gu, " ").slice(0, 300);

/** The library's own words for a failure: its code, and the detail of the check that failed. */
function describe(error: Error & { code?: unknown }): string {
  const inner = error.cause instanceof Error ? error.cause : undefined;
  const claim = (inner?.cause as { claim?: unknown } | undefined)?.claim;
  const detail = inner !== undefined && inner.message !== error.message ? `: ${inner.message}` : "";
  return `${typeof error.code === "string" ? `${error.code} ` : ""}${error.message}${detail}${typeof claim === "string" ? ` (claim ${claim})` : ""}`;
}

/**
 * Turns what openid-client (or the outbound client under it) threw into a registered error whose
 * `details.reason` is fit for the audit log. Never the token, the code or a claim's value: only
 * the library's fixed messages and OAuth error codes.
 */
export function ssoFailure(provider: string, error: unknown): VerityError {
  if (isVerityError(error)) return error;
  if (error instanceof OutboundError) {
    return new VerityError("SSO_UNAVAILABLE", { message: `The identity provider (${provider}) could not be reached; try again in a moment.`, details: { reason: clean(error.message) }, cause: error });
  }
  // By code, not instanceof: openid-client is loaded only when a sign-in needs it.
  const failure = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; error?: unknown; status?: unknown };
  const oauthError = typeof failure.error === "string" && OAUTH_ERROR.test(failure.error) ? failure.error : "error";
  if (failure.code === "OAUTH_AUTHORIZATION_RESPONSE_ERROR") {
    return new VerityError("SSO_REJECTED", {
      message: `The identity provider did not sign you in (${oauthError}).`,
      details: { reason: `the identity provider answered ${oauthError}` },
    });
  }
  if (failure.code === "OAUTH_RESPONSE_BODY_ERROR" && typeof failure.status === "number") {
    return new VerityError(failure.status >= 500 ? "SSO_UNAVAILABLE" : "SSO_REJECTED", { details: { reason: `the token endpoint answered ${failure.status} ${oauthError}` } });
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const unreachable = typeof code === "string" && UNREACHABLE.has(code);
    return new VerityError(unreachable ? "SSO_UNAVAILABLE" : "SSO_REJECTED", { details: { reason: clean(describe(error)) } });
  }
  return new VerityError("SSO_REJECTED", { details: { reason: "unknown failure" } });
}
