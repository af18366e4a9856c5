import { VerityError } from "../../../domain/errors.js";

/** The fields nodemailer puts on its errors (read defensively: any may be missing). */
export interface SmtpFailure {
  readonly code?: string;
  readonly responseCode?: number;
  readonly command?: string;
  /** The underlying system or TLS error code nodemailer kept (`DEPTH_ZERO_SELF_SIGNED_CERT`…). */
  readonly originalCode?: string;
}

/** Node's TLS certificate verification failures (and a name that does not match). */
const CERTIFICATE = /CERT|SIGNATURE|ALTNAME|ISSUER/;

/** Which step failed: before anything was handed over, or after the message body was sent. */
export type SmtpPhase = "connect" | "auth" | "envelope" | "data";

export function asFailure(error: unknown): SmtpFailure {
  if (typeof error !== "object" || error === null) return {};
  const e = error as Record<string, unknown>;
  return {
    ...(typeof e.code === "string" ? { code: e.code } : {}),
    ...(typeof e.responseCode === "number" ? { responseCode: e.responseCode } : {}),
    ...(typeof e.command === "string" ? { command: e.command } : {}),
    ...(typeof e.originalCode === "string" ? { originalCode: e.originalCode } : {}),
  };
}

/**
 * Maps an SMTP failure onto Verity's errors. The server's own reply text is never quoted (it can
 * echo the recipient); only its three-digit code is.
 *
 * - A 5xx reply at any step is a permanent refusal: CHANNEL_REJECTED (nothing will be delivered).
 * - A 4xx reply (421 included) is a temporary refusal: CHANNEL_UNAVAILABLE.
 * - Credentials refused: UPSTREAM_AUTH_FAILED. TLS missing or refused: CHANNEL_UNAVAILABLE.
 * - No reply at all (connection dropped, timeout) before the body was sent: CHANNEL_UNAVAILABLE;
 *   after the body was sent: DELIVERY_UNKNOWN, since the relay may have queued it.
 */
export function errorFromSmtp(error: unknown, phase: SmtpPhase, ctx: { readonly provider: string; readonly host: string; readonly masked: string }): VerityError {
  const f = asFailure(error);
  const reply = f.responseCode;
  const details = { provider: "smtp", phase, ...(reply === undefined ? {} : { smtpReply: reply }), ...(f.code === undefined ? {} : { smtpError: f.code }) };
  const relay = `The SMTP relay ${ctx.host}`;
  if (f.code === "EAUTH" || f.code === "ENOAUTH" || (phase === "auth" && reply !== undefined && reply >= 500)) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${relay} refused Verity's credentials${reply === undefined ? "" : ` (${reply})`}. An administrator must check the provider's auth user and password (for Microsoft 365: that SMTP AUTH is enabled for that mailbox). Nothing was sent.`,
      details,
    });
  }
  if (f.code === "ETLS" || CERTIFICATE.test(f.originalCode ?? "")) {
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: `${relay} did not set up TLS${reply === undefined ? "" : ` (it answered ${reply} to STARTTLS)`}, or its certificate was not trusted, so Verity sent nothing. An administrator must check host, port, secure/requireTLS and tls.ca.`,
      details,
    });
  }
  if (reply !== undefined && reply >= 500) {
    return new VerityError("CHANNEL_REJECTED", {
      message: `${relay} refused the message to ${ctx.masked} with SMTP reply ${reply}; it will not be delivered. Check the registered address, or use another method.`,
      details,
    });
  }
  if (reply !== undefined && reply >= 400) {
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: `${relay} turned the message to ${ctx.masked} away for now (SMTP reply ${reply}); nothing was accepted. Try again shortly or use another method.`,
      details,
    });
  }
  if (phase === "data") {
    return new VerityError("DELIVERY_UNKNOWN", {
      message: `${relay} received the message to ${ctx.masked} but gave no answer (${f.code ?? "connection lost"}), so it may still be delivered. Ask the caller whether a code arrived before resending.`,
      details,
    });
  }
  return new VerityError("CHANNEL_UNAVAILABLE", {
    message: `${relay} could not be reached or stopped answering before the message was handed over (${f.code ?? "connection lost"}); nothing was sent. Try again shortly or use another method.`,
    details,
  });
}
