import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Clock, DeliveryReceipt, MessageChannel, ProbeResult } from "../../../domain/ports.js";
import { VerityError } from "../../../domain/errors.js";
import { createOutboundClient, OutboundError, type OutboundClient, type OutboundResponse } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import { createTokenProvider, type TokenProvider } from "../../directory/entra/token-provider.js";
import { emailContent, type EmailContent } from "../email-shared/email-message.js";
import type { GraphMailConfig } from "./graph-mail-config.js";
import { graphCode, sendMailRefusal, sendMailTransportError, tokenFailure } from "./graph-mail-errors.js";

export interface GraphMailChannelDeps {
  /** The provider's name in the configuration, shown in logs. */
  readonly name: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
}

export type GraphMailChannel = MessageChannel & { close(): Promise<void> };

/**
 * The JSON message of `POST /users/{mailbox}/sendMail` (Graph v1.0 user-sendmail): a plain-text
 * body, one recipient, and a custom `X-` header that asks Exchange not to auto-reply. Sent Items
 * keep no copy unless configured.
 */
export function sendMailBody(content: EmailContent, saveToSentItems: boolean): string {
  return JSON.stringify({
    message: {
      subject: content.subject,
      body: { contentType: "Text", content: content.text },
      toRecipients: [{ emailAddress: { address: content.to } }],
      internetMessageHeaders: [{ name: "X-Auto-Response-Suppress", value: "All" }],
    },
    saveToSentItems,
  });
}

/**
 * An email channel over Microsoft Graph sendMail, sending from one configured mailbox with an
 * app-only token from the Entra directory's token source (client credentials, secret or
 * certificate). Graph answers 202 when it has accepted the message (not when it is delivered);
 * the receipt's `providerRef` is Graph's `request-id`. A 429 is waited out as Retry-After asks
 * (Graph does not process throttled requests); a 401 fetches a new token once; nothing else is
 * repeated, so a caller is not sent two codes.
 *
 * @example
 * ```ts
 * const mail = createGraphMailChannel(config, { name: "acme-mail", clock, log });
 * await mail.send(message); // { providerRef: "<request-id>" }
 * ```
 */
export function createGraphMailChannel(config: GraphMailConfig, deps: GraphMailChannelDeps): GraphMailChannel {
  const http = createOutboundClient({ name: "Microsoft Graph (sendMail)", timeoutMs: config.timeoutMs, log: deps.log, now: () => deps.clock.now().getTime() });
  const tokens = createTokenProvider({ http, loginUrl: config.loginUrl, graphUrl: config.graphUrl, clientId: config.clientId, credential: config.credential, clock: deps.clock, log: deps.log });
  const mailboxPath = `/v1.0/users/${encodeURIComponent(config.mailbox)}`;

  const token = async (): Promise<string> => {
    try {
      return await tokens.token(config.tenantId);
    } catch (error) {
      throw tokenFailure(error);
    }
  };

  const post = async (content: EmailContent, verificationId: string): Promise<OutboundResponse> => {
    const body = sendMailBody(content, config.saveToSentItems);
    for (let attempt = 0; ; attempt += 1) {
      const clientRequestId = randomUUID();
      let response: OutboundResponse;
      try {
        response = await http.request({
          method: "POST",
          url: `${config.graphUrl}${mailboxPath}/sendMail`,
          headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json", "client-request-id": clientRequestId },
          body,
          retry: "not-sent-only",
        });
      } catch (error) {
        if (!(error instanceof OutboundError)) throw error;
        deps.log.warn({ provider: deps.name, to: content.masked, kind: error.kind, verificationId }, "Graph sendMail got no answer");
        throw sendMailTransportError(error, { config, masked: content.masked });
      }
      if (response.status === 401 && attempt === 0) {
        tokens.invalidate(config.tenantId);
        continue;
      }
      return response;
    }
  };

  return {
    name: deps.name,
    developmentOnly: false,
    channels: ["email"],
    async send(message): Promise<DeliveryReceipt> {
      const content = emailContent(message, deps.name);
      const response = await post(content, message.verificationId);
      if (response.status === 202) {
        const requestId = response.headers["request-id"];
        deps.log.debug({ provider: deps.name, to: content.masked, requestId, attempts: response.attempts, verificationId: message.verificationId }, "Graph accepted the email");
        return requestId === undefined ? {} : { providerRef: requestId };
      }
      const mapped = sendMailRefusal(response, { config, masked: content.masked });
      deps.log.warn(
        { provider: deps.name, to: content.masked, status: response.status, code: mapped.code, details: mapped.details, verificationId: message.verificationId },
        "Graph did not accept the email",
      );
      throw mapped;
    },
    probe: () => probeGraphMail(config, { http, tokens }),
    close: () => http.close(),
  };
}

/**
 * A token fetch (proves the app and its credential), then `GET /users/{mailbox}?$select=id`.
 * Mail.Send alone may not read users: a 403 there still passes, saying what was not checked.
 */
function probeGraphMail(config: GraphMailConfig, deps: { readonly http: OutboundClient; readonly tokens: TokenProvider }): Promise<ProbeResult> {
  return probeWith(async () => {
    let bearer: string;
    try {
      bearer = await deps.tokens.token(config.tenantId);
    } catch (error) {
      throw tokenFailure(error);
    }
    let response: OutboundResponse;
    try {
      response = await deps.http.request({
        method: "GET",
        url: `${config.graphUrl}/v1.0/users/${encodeURIComponent(config.mailbox)}?$select=id`,
        headers: { authorization: `Bearer ${bearer}`, accept: "application/json" },
        retry: "idempotent",
      });
    } catch (error) {
      throw new VerityError("CHANNEL_UNAVAILABLE", { message: `${error instanceof Error ? error.message : "Microsoft Graph could not be reached."} Check graphUrl.` });
    }
    const got = `Microsoft Entra issued a token to application ${config.clientId} in tenant ${config.tenantId}`;
    if (response.status === 200) return `${got}, and Microsoft Graph knows the mailbox ${config.mailbox}. Sending (Mail.Send and its mailbox scope) is not tested: nothing was sent.`;
    if (response.status === 404) return { ok: false, detail: `${got}, but Microsoft Graph has no user or mailbox ${config.mailbox} in that tenant. Set mailbox to the sending mailbox's address.` };
    if (response.status === 403) {
      return `${got}. The app may not read users (Mail.Send alone does not need to), so whether ${config.mailbox} exists and may be sent from was not checked: send a test code to yourself to confirm.`;
    }
    return { ok: false, detail: `${got}, but reading the mailbox answered HTTP ${response.status} (${graphCode(response)}). Try again shortly.` };
  });
}
