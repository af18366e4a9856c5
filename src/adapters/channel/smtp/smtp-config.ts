import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { secretString, timeoutMs } from "../../../config/fields.js";
import { isPlainAddress } from "../email-shared/email-message.js";

const address = z.string().refine(isPlainAddress, "a plain email address such as helpdesk@contoso.com");

const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, "a host name or IP address");

const pem = z.string().refine(
  (value) => {
    try {
      new X509Certificate(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be a PEM X.509 certificate (the CA that signed the relay's certificate)" },
);

/**
 * A `providers.<name>` block of kind `smtp`: email codes through an SMTP relay (a Microsoft 365
 * or Google Workspace submission endpoint, or the organisation's own relay).
 *
 * TLS is required by default: implicit TLS with `secure: true` (port 465), otherwise STARTTLS
 * (`requireTLS`, port 587), and the server's certificate is always checked (against `tls.ca`
 * for a relay with a private CA). A relay without TLS is accepted only with `requireTLS: false`
 * and no `auth`, since a password would cross the network in the clear.
 *
 * @example
 * ```yaml
 * providers:
 *   acme-email:
 *     kind: smtp
 *     host: smtp.office365.com
 *     port: 587
 *     auth: { user: verity@contoso.com, pass: ${SMTP_PASSWORD} }
 *     from: verity@contoso.com
 *     fromName: Contoso Service Desk
 * ```
 */
export const smtpConfigSchema = z
  .strictObject({
    kind: z.literal("smtp"),
    host: hostname,
    port: z.number().int().min(1).max(65_535).default(587),
    /** Implicit TLS from the first byte (port 465); otherwise STARTTLS on a plain connection. */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server upgrades to TLS with STARTTLS. */
    requireTLS: z.boolean().default(true),
    auth: z.strictObject({ user: z.string().min(1).max(320), pass: secretString }).optional(),
    from: address,
    /** The sender's display name; the tenant's desk name is in the subject and text already. */
    fromName: z.string().min(1).max(100).regex(/^[^\r\n]*$/, "one line").optional(),
    tls: z
      .strictObject({
        /** PEM CA certificate(s) of a relay whose certificate a private CA signed. */
        ca: pem.optional(),
        /** The name the relay's certificate carries, when `host` is an IP address or an alias. */
        servername: z.string().min(1).max(253).optional(),
        minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
      })
      .prefault({}),
    /** The name Verity gives in EHLO; the machine's host name by default. */
    clientName: hostname.optional(),
    connectionTimeoutMs: timeoutMs.default(10_000),
    greetingTimeoutMs: timeoutMs.default(10_000),
    /** Inactivity on an open connection (a relay that stops answering mid-message). */
    socketTimeoutMs: timeoutMs.default(30_000),
  })
  .superRefine((config, ctx) => {
    if (!config.secure && !config.requireTLS && config.auth !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["requireTLS"],
        message: "must stay true with auth: without TLS the SMTP password would cross the network unencrypted",
      });
    }
  });

export type SmtpConfig = z.output<typeof smtpConfigSchema>;
