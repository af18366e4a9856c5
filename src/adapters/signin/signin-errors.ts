import { isVerityError, VerityError } from "../../domain/errors.js";
import { OutboundError } from "../http/outbound.js";
import { signinRejected, type SigninReason } from "./signin-evidence.js";

const UNREACHABLE = new Set(["OAUTH_TIMEOUT", "OAUTH_ABORT", "OAUTH_RESPONSE_IS_NOT_CONFORM", "OAUTH_RESPONSE_IS_NOT_JSON"]);
const OAUTH_ERROR = /^[a-z0-9_]{1,64}$/;

interface Failure {
  readonly code?: unknown;
  readonly error?: unknown;
  readonly status?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
}

/** The error and its causes, outermost first (openid-client wraps oauth4webapi's errors). */
function chain(error: unknown): Failure[] {
  const out: Failure[] = [];
  let current: unknown = error;
  while (typeof current === "object" && current !== null && out.length < 4) {
    const link: Failure = current;
    out.push(link);
    current = link.cause;
  }
  return out;
}

/** Which check of openid-client's failed, by its codes, messages and the claim it names. */
function reasonOf(links: Failure[]): SigninReason {
  const codes = links.map((l) => l.code).filter((c): c is string => typeof c === "string");
  const messages = links.map((l) => (typeof l.message === "string" ? l.message : "")).join(" | ");
  const claim = links.map((l) => (l as { claim?: unknown }).claim).find((c): c is string => typeof c === "string");
  if (/"state"/.test(messages)) return "state_mismatch";
  if (/"iss" (response parameter|\(issuer\))/.test(messages) || claim === "iss") return "wrong_issuer";
  // A token without our nonce is not bound to this flow: another flow's, or replayed.
  if (claim === "nonce" || /"nonce" \(nonce\) claim missing/.test(messages)) return "replayed";
  if (/claim missing/.test(messages)) return "missing_claims";
  if (claim === "aud" || claim === "azp") return "wrong_audience";
  if (codes.includes("OAUTH_JWT_TIMESTAMP_CHECK_FAILED")) return "expired";
  if (/signature verification failed/.test(messages) || codes.includes("OAUTH_KEY_SELECTION_FAILED")) return "bad_signature";
  return "idp_error";
}

/** Control characters never reach the audit log (SECURITY.md A7). */
const clean = (s: string) => s.replace(/[\p{Cc}]+/gu, " ").slice(0, 300);

/**
 * Turns what openid-client (or the outbound client under it) threw during a callback into
 * CALLER_SIGNIN_REJECTED with a reason from SIGNIN_REASONS, or CALLER_SIGNIN_UNAVAILABLE when the
 * provider could not be reached. Only the library's fixed messages and OAuth error codes are kept:
 * never a token, a code or a claim's value.
 */
export function signinFailure(provider: string, error: unknown): VerityError {
  if (isVerityError(error)) {
    if (error.code === "CALLER_SIGNIN_REJECTED" || error.code === "CALLER_SIGNIN_UNAVAILABLE" || error.code === "CALLER_SIGNIN_FLOW_INVALID") return error;
    return new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: error.details ?? { reason: error.code }, cause: error });
  }
  if (error instanceof OutboundError) {
    return new VerityError("CALLER_SIGNIN_UNAVAILABLE", { message: `The identity provider (${provider}) could not be reached; try again in a moment.`, details: { reason: clean(error.message) }, cause: error });
  }
  const links = chain(error);
  const first = links[0] ?? {};
  const oauthError = typeof first.error === "string" && OAUTH_ERROR.test(first.error) ? first.error : "error";
  if (first.code === "OAUTH_AUTHORIZATION_RESPONSE_ERROR") return signinRejected("idp_error", `the identity provider answered ${oauthError}`);
  if (first.code === "OAUTH_RESPONSE_BODY_ERROR" && typeof first.status === "number") {
    if (first.status >= 500) return new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason: `the token endpoint answered ${first.status} ${oauthError}` } });
    // A code is spent by its first redemption: invalid_grant is a replayed (or expired) code.
    return signinRejected(oauthError === "invalid_grant" ? "replayed" : "idp_error", `the token endpoint answered ${first.status} ${oauthError}`);
  }
  if (links.some((l) => typeof l.code === "string" && UNREACHABLE.has(l.code))) {
    return new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason: clean(typeof first.message === "string" ? first.message : "unreachable") } });
  }
  return signinRejected(reasonOf(links), clean(links.map((l) => (typeof l.message === "string" ? l.message : "")).filter((m) => m !== "").join(": ") || "unknown failure"));
}
