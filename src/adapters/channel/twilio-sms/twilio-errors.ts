import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { retryAfterMs } from "../../http/outbound.js";
import { parseJson } from "../../http/json.js";
import { twilioErrorSchema } from "./twilio-schemas.js";

/** What an error message may say about a send: never the full number. */
export interface SendContext {
  /** The destination as `+44 ••••• ••0123`. */
  readonly masked: string;
  /** `+44 (United Kingdom)`: which Geo Permission an administrator must enable. */
  readonly region: string;
  /** `sender +14155550100` or `Messaging Service MG…`: ours, safe to show. */
  readonly sender: string;
}

/** When Twilio's 429 carries no Retry-After (whether it does is UNCONFIRMED). */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

type Rejection = (ctx: SendContext) => string;

// Twilio's own text is never reused: it quotes the full phone number.
const REJECTIONS: Readonly<Record<number, Rejection>> = {
  21211: (c) =>
    `Twilio says the registered number ${c.masked} is not a valid phone number. Correct the user's mobile number in the directory, or use another method.`,
  21408: (c) =>
    `The Twilio account may not send SMS to ${c.region} numbers (${c.masked}). An administrator must enable that country under Messaging Geo Permissions in the Twilio Console.`,
  21610: (c) =>
    `${c.masked} has opted out (replied STOP) of texts from this ${c.sender}, so Twilio will not deliver them. Use another method; the user can text START to the sender to opt back in.`,
  21612: (c) =>
    `Twilio cannot carry a text from this ${c.sender} to ${c.masked}. Use another method; an administrator should check which destinations the sender can reach.`,
  21614: (c) =>
    `Twilio says ${c.masked} is not a mobile number and cannot receive SMS. Use another method, or correct the user's mobile number in the directory.`,
  21606: (c) =>
    `The configured ${c.sender} cannot send SMS to ${c.masked}. An administrator must configure an SMS-capable Twilio number or Messaging Service for this destination.`,
};

export const AUTH_MESSAGE =
  "Twilio refused Verity's credentials. An administrator must check the Account SID and the auth token or API key (and that the key belongs to that account).";
export const ACCOUNT_MESSAGE =
  "Twilio does not know the configured account, or these credentials cannot use it. An administrator must check the Account SID and that the auth token or API key belongs to that account.";

/** Maps a non-2xx answer to Verity's errors. Only a 5xx (or a status no rule knows) leaves the outcome open. */
export function errorFromResponse(response: OutboundResponse, ctx: SendContext): VerityError {
  const body = parseJson(twilioErrorSchema, response.text);
  const code = body?.code ?? undefined;
  const details = { provider: "twilio", httpStatus: response.status, ...(code === undefined ? {} : { providerCode: code }) };
  if (response.status === 429 || code === 20429) {
    const waitMs = retryAfterMs(response.headers["retry-after"]);
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: "Twilio is limiting how fast this account may send and kept refusing after several tries; nothing was sent. Try again shortly.",
      retryAfterSeconds: waitMs === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(1, Math.ceil(waitMs / 1000)),
      details,
    });
  }
  if (response.status === 401 || response.status === 403 || code === 20003) {
    return new VerityError("UPSTREAM_AUTH_FAILED", { message: AUTH_MESSAGE, details });
  }
  if (code === 20404 || response.status === 404) {
    return new VerityError("UPSTREAM_AUTH_FAILED", { message: ACCOUNT_MESSAGE, details });
  }
  if (response.status >= 400 && response.status < 500) {
    const known = code === undefined ? undefined : REJECTIONS[code];
    const message =
      known?.(ctx) ??
      `Twilio refused the text to ${ctx.masked}${code === undefined ? "" : ` (Twilio error ${code})`}; nothing was sent. Use another method, or ask an administrator to look the error up in the Twilio Console.`;
    return new VerityError("CHANNEL_REJECTED", { message, details });
  }
  return new VerityError("DELIVERY_UNKNOWN", {
    message: `Twilio answered with an error (HTTP ${response.status}) after receiving the text to ${ctx.masked}, so it may still be delivered. Ask the caller whether a code arrived before resending.`,
    details,
  });
}

/** Maps a missing answer: `not_sent` certainly had no effect; anything else may have. */
export function errorFromTransport(error: OutboundError, ctx: SendContext): VerityError {
  if (error.kind === "not_sent") {
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: "Twilio could not be reached; nothing was sent. Try again shortly or use another method.",
      cause: error,
      details: { provider: "twilio" },
    });
  }
  return new VerityError("DELIVERY_UNKNOWN", {
    message: `Twilio gave no complete answer to the request for ${ctx.masked}, so the text may have been sent. Ask the caller whether a code arrived before resending.`,
    cause: error,
    details: { provider: "twilio", reason: error.message },
  });
}
