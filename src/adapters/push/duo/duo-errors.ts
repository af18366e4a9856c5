import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { retryAfterMs } from "../../http/outbound.js";
import { parseJson } from "../../http/json.js";
import { duoEnvelopeSchema } from "./duo-schemas.js";

/** What a failed call was doing, in words for the technician and the administrator. */
export interface DuoCallContext {
  /** "look the user up", "send the push", "check the passcode", "read the push's status". */
  readonly label: string;
  /** The call may have made Duo send a prompt even though no answer came back. */
  readonly mayHavePushed?: boolean;
}

/** Duo's SDK does not rely on Retry-After, and whether Duo sends one is UNCONFIRMED. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

const AUTH_MESSAGE =
  "Duo refused Verity's signed request. An administrator must check the integration key, secret key, API host, and the server clock: every request signs its Date, so a clock more than a few minutes off is refused too.";
const FORBIDDEN_MESSAGE =
  "Duo does not let this integration use the Auth API. An administrator must use the integration key and secret key of an Auth API application (Duo Admin Panel → Applications → Protect an Application → Auth API).";

/** Maps a non-2xx Duo answer (`{stat: "FAIL", code, message, message_detail}`) to Verity's errors. */
export function errorFromResponse(response: OutboundResponse, ctx: DuoCallContext): VerityError {
  const envelope = parseJson(duoEnvelopeSchema, response.text);
  const failure = envelope?.stat === "FAIL" ? envelope : undefined;
  const code = failure?.code;
  const parameter = safeParameter(failure?.message_detail);
  const details = {
    provider: "duo",
    httpStatus: response.status,
    ...(code === undefined ? {} : { providerCode: code }),
    ...(parameter === undefined ? {} : { parameter }),
  };
  const tag = code === undefined ? `HTTP ${response.status}` : `Duo error ${code}`;
  if (response.status === 429) {
    const waitMs = retryAfterMs(response.headers["retry-after"]);
    return new VerityError("PROVIDER_UNAVAILABLE", {
      message: `Duo is limiting requests (${tag}) and kept refusing after several tries, so Verity could not ${ctx.label}. Try again in a little while.`,
      retryAfterSeconds: waitMs === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(1, Math.ceil(waitMs / 1000)),
      details,
    });
  }
  if (response.status === 401) return new VerityError("UPSTREAM_AUTH_FAILED", { message: `${AUTH_MESSAGE} (${tag})`, details });
  if (response.status === 403) return new VerityError("UPSTREAM_AUTH_FAILED", { message: `${FORBIDDEN_MESSAGE} (${tag})`, details });
  if (response.status === 400) {
    const what = parameter === undefined ? "a parameter Verity sent" : `the parameter '${parameter}'`;
    return new VerityError("PROVIDER_ERROR", { message: `Duo refused ${what} when asked to ${ctx.label} (${tag}).`, details });
  }
  if (response.status >= 500) {
    const pushed = ctx.mayHavePushed === true ? " The caller's phone may still show a prompt: ask them to deny it before trying again." : "";
    return new VerityError("PROVIDER_UNAVAILABLE", { message: `Duo answered with an error (${tag}) when asked to ${ctx.label}.${pushed}`, details });
  }
  return new VerityError("PROVIDER_ERROR", {
    message: `Duo refused to ${ctx.label} (${tag}). An administrator should check the API host and base URL.`,
    details,
  });
}

/** Maps a missing answer. A push that may have left is said to be possibly on the caller's phone. */
export function errorFromTransport(error: OutboundError, ctx: DuoCallContext): VerityError {
  const ambiguous = error.kind === "ambiguous" && ctx.mayHavePushed === true;
  return new VerityError("PROVIDER_UNAVAILABLE", {
    message: ambiguous
      ? `Duo gave no answer when asked to ${ctx.label}, so the caller's phone may still show a prompt: ask them to deny it before trying again.`
      : `Verity could not ${ctx.label}: ${error.message} Try again shortly.`,
    cause: error,
    details: { provider: "duo", reason: error.kind },
  });
}

/** An answer Duo gave in the 2xx range that is not the documented shape. */
export function unreadableAnswer(ctx: DuoCallContext): VerityError {
  return new VerityError("PROVIDER_ERROR", { message: `Duo's answer when asked to ${ctx.label} could not be read.`, details: { provider: "duo" } });
}

// message_detail names a parameter; anything else is not repeated to people.
function safeParameter(detail: string | undefined): string | undefined {
  if (detail === undefined) return undefined;
  const trimmed = detail.trim();
  return /^[A-Za-z0-9_.-]{1,64}$/.test(trimmed) ? trimmed : undefined;
}
