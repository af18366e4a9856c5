import { VerityError } from "../../../domain/errors.js";
import { readJson } from "../../http/json.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { graphErrorSchema } from "../../directory/entra/entra-schemas.js";
import { retryAfterSeconds } from "../../directory/entra/entra-errors.js";
import type { GraphMailConfig } from "./graph-mail-config.js";

export interface GraphMailContext {
  readonly config: GraphMailConfig;
  /** The recipient, masked. */
  readonly masked: string;
}

/** The Graph error code of a response (`ErrorInvalidRecipients`…), or `HTTP <status>`. */
export function graphCode(response: OutboundResponse): string {
  const envelope = graphErrorSchema.safeParse(readJson(response.text));
  return envelope.success ? envelope.data.error.code : `HTTP ${response.status}`;
}

/**
 * Maps a sendMail answer other than 202. Graph's message text is never quoted (it can name the
 * recipient); its code and the request id are.
 *
 * 400 is a refusal of this message (CHANNEL_REJECTED); 401, 403 and 404 are the configuration
 * (UPSTREAM_AUTH_FAILED: the token, the Mail.Send grant or its mailbox scope, the mailbox); 429
 * after the outbound client's Retry-After waits is CHANNEL_UNAVAILABLE (Graph does not process a
 * throttled request); any 5xx leaves the send open (DELIVERY_UNKNOWN).
 */
export function sendMailRefusal(response: OutboundResponse, ctx: GraphMailContext): VerityError {
  const code = graphCode(response);
  const requestId = response.headers["request-id"];
  const details = { provider: "graph-mail", httpStatus: response.status, graphCode: code, ...(requestId === undefined ? {} : { requestId }) };
  const { mailbox, clientId, tenantId } = ctx.config;
  if (response.status === 429) {
    const after = retryAfterSeconds(response);
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: `Microsoft Graph is throttling mail from ${mailbox} and kept refusing after ${response.attempts} attempt(s); nothing was sent. Try again${after === undefined ? " shortly" : ` in ${after} s`}.`,
      retryAfterSeconds: after ?? 5,
      details,
    });
  }
  if (response.status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Microsoft Graph did not accept Verity's token for tenant ${tenantId} (${code}); check that graphUrl and loginUrl are in the same cloud. Nothing was sent.`,
      details,
    });
  }
  if (response.status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Microsoft Graph refused to send as ${mailbox} (${code}). Application ${clientId} needs the application permission Mail.Send with admin consent, and the Exchange Online application access policy or RBAC scope must include that mailbox. Nothing was sent.`,
      details,
    });
  }
  if (response.status === 404) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Microsoft Graph has no mailbox ${mailbox} in tenant ${tenantId} (${code}); set mailbox to a user or shared mailbox with an Exchange Online licence. Nothing was sent.`,
      details,
    });
  }
  if (response.status >= 400 && response.status < 500) {
    return new VerityError("CHANNEL_REJECTED", {
      message: `Microsoft Graph refused the message to ${ctx.masked} (${code}); nothing was sent. Check the registered address, or use another method.`,
      details,
    });
  }
  return new VerityError("DELIVERY_UNKNOWN", {
    message: `Microsoft Graph answered HTTP ${response.status} (${code}) to the message for ${ctx.masked}, so it may still be sent. Ask the caller whether a code arrived before resending.`,
    details,
  });
}

/** No answer: `not_sent` certainly had no effect; anything else may have. */
export function sendMailTransportError(error: OutboundError, ctx: GraphMailContext): VerityError {
  if (error.kind === "not_sent") {
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: "Microsoft Graph could not be reached; nothing was sent. Try again shortly or use another method.",
      cause: error,
      details: { provider: "graph-mail" },
    });
  }
  return new VerityError("DELIVERY_UNKNOWN", {
    message: `Microsoft Graph gave no complete answer to the message for ${ctx.masked}, so it may have been sent. Ask the caller whether a code arrived before resending.`,
    cause: error,
    details: { provider: "graph-mail", reason: error.message },
  });
}

/** A token failure is the directory's error; for a send it means nothing was sent. */
export function tokenFailure(error: unknown): unknown {
  if (!(error instanceof VerityError)) return error;
  if (error.code === "DIRECTORY_UNAVAILABLE") return new VerityError("CHANNEL_UNAVAILABLE", { message: `${error.message} Nothing was sent.`, cause: error, ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }) });
  if (error.code === "TENANT_NOT_FOUND" || error.code === "DIRECTORY_ERROR") return new VerityError("UPSTREAM_AUTH_FAILED", { message: error.message, cause: error });
  return error;
}
