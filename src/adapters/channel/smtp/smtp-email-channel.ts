import type { Logger } from "pino";
import MailComposer from "nodemailer/lib/mail-composer";
import type { VerityError } from "../../../domain/errors.js";
import type { DeliveryReceipt, MessageChannel, ProbeResult } from "../../../domain/ports.js";
import { probeWith } from "../../shared/probe.js";
import { emailContent, type EmailContent } from "../email-shared/email-message.js";
import type { SmtpConfig } from "./smtp-config.js";
import { asFailure, errorFromSmtp } from "./smtp-errors.js";
import { openSmtpSession, SmtpStepError } from "./smtp-session.js";

export interface SmtpEmailChannelDeps {
  /** The provider's name in the configuration, shown in logs. */
  readonly name: string;
  readonly log: Pick<Logger, "warn" | "debug">;
}

export type SmtpEmailChannel = MessageChannel & { close(): Promise<void> };

/** Headers that keep auto-replies (out-of-office, "I have moved") from answering a code. */
const AUTOMATED = { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" };

/**
 * An email channel over SMTP submission (nodemailer's SMTP client), one connection per message.
 *
 * TLS is required unless configured otherwise (implicit TLS or STARTTLS, the certificate always
 * checked), and the password is sent only after it. `send` resolves once the relay answered the
 * message with 2xx; the receipt's `providerRef` is the relay's queue id when its reply names one
 * (Postfix's "queued as …", Exchange's InternalId), else the message's own Message-ID. See
 * `errorFromSmtp` for how failures map; a message is never sent twice here.
 *
 * @example
 * ```ts
 * const email = createSmtpEmailChannel(config, { name: "acme-email", log });
 * const { providerRef } = await email.send(message);
 * ```
 */
export function createSmtpEmailChannel(config: SmtpConfig, deps: SmtpEmailChannelDeps): SmtpEmailChannel {
  const where = `${config.host}:${config.port}`;

  const compose = async (content: EmailContent): Promise<{ raw: Buffer; messageId: string }> => {
    const node = new MailComposer({
      from: config.fromName === undefined ? config.from : { name: config.fromName, address: config.from },
      to: content.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      headers: AUTOMATED,
      textEncoding: "quoted-printable",
      disableFileAccess: true,
      disableUrlAccess: true,
    }).compile();
    return { raw: await node.build(), messageId: node.messageId() };
  };

  const fail = (error: unknown, content: EmailContent, verificationId: string | null): VerityError => {
    const phase = error instanceof SmtpStepError ? error.phase : "connect";
    const cause = error instanceof SmtpStepError ? error.cause : error;
    const mapped = errorFromSmtp(cause, phase, { provider: deps.name, host: where, masked: content.masked });
    const f = asFailure(cause);
    deps.log.warn(
      { provider: deps.name, to: content.masked, phase, smtpReply: f.responseCode, smtpError: f.code, code: mapped.code, verificationId },
      "SMTP relay did not take the email",
    );
    return mapped;
  };

  return {
    name: deps.name,
    developmentOnly: false,
    channels: ["email"],
    async send(message): Promise<DeliveryReceipt> {
      const content = emailContent(message, deps.name);
      const { raw, messageId } = await compose(content);
      let session;
      try {
        session = await openSmtpSession(config);
      } catch (error) {
        throw fail(error, content, message.verificationId);
      }
      try {
        const sent = await session.send({ from: config.from, to: [content.to] }, raw);
        deps.log.debug({ provider: deps.name, to: content.masked, queueId: sent.queueId, verificationId: message.verificationId }, "SMTP relay accepted the email");
        return { providerRef: sent.queueId ?? messageId };
      } catch (error) {
        throw fail(error, content, message.verificationId);
      } finally {
        session.close();
      }
    },
    probe: () => probeSmtp(config, where),
    close: () => Promise.resolve(),
  };
}

/** Connects, says EHLO, upgrades to TLS and logs in as configured, then quits: nothing is sent. */
function probeSmtp(config: SmtpConfig, where: string): Promise<ProbeResult> {
  return probeWith(async () => {
    let session;
    try {
      session = await openSmtpSession(config);
    } catch (error) {
      const phase = error instanceof SmtpStepError ? error.phase : "connect";
      throw errorFromSmtp(error instanceof SmtpStepError ? error.cause : error, phase, { provider: "smtp", host: where, masked: "nobody" });
    }
    const tls = session.secure() ? (config.secure ? "over implicit TLS" : "upgraded to TLS with STARTTLS") : "WITHOUT TLS (requireTLS is off)";
    session.close();
    const auth = config.auth === undefined ? "without logging in (no auth configured)" : `and it accepted the credentials of ${config.auth.user}`;
    return `Verity connected to the SMTP relay ${where} ${tls}, ${auth}. Nothing was sent.`;
  });
}
