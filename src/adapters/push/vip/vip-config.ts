import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const pemCertificates = (value: string): string[] => value.match(PEM_CERTIFICATE) ?? [];

/**
 * A `providers.<name>` block of kind `vip`: Symantec (Broadcom) VIP User Services 1.7 over SOAP
 * with mutual TLS. The client certificate is the "VIP certificate" exported from VIP Manager
 * (PKCS#12, split into PEM; see docs/integrations/symantec-vip.md).
 *
 * @example
 * ```yaml
 * providers:
 *   vip:
 *     kind: vip
 *     certificate: ${file:/etc/verity/vip-cert.pem}
 *     privateKey: ${file:/run/secrets/vip-key.pem}
 *     passphrase: ${VIP_KEY_PASSPHRASE}        # only for an encrypted key
 *     profile: https://sso.acme.example        # shown as the prompt's profile line
 * ```
 */
export const vipConfigSchema = z
  .strictObject({
    kind: z.literal("vip"),
    authUrl: baseUrl.default("https://userservices-auth.vip.symantec.com/vipuserservices/AuthenticationService_1_7"),
    queryUrl: baseUrl.default("https://userservices-auth.vip.symantec.com/vipuserservices/QueryService_1_7"),
    /** The VIP certificate (PEM X.509), e.g. `${file:/etc/verity/vip-cert.pem}`. */
    certificate: z.string().min(1),
    /** Its private key (PEM, PKCS#8 or PKCS#1, optionally encrypted). */
    privateKey: secretString,
    /** The private key's passphrase, when it is encrypted. */
    passphrase: secretString.optional(),
    /** Extra CA certificates (PEM) to trust besides the public ones: private endpoints, tests. */
    ca: z
      .string()
      .refine((v) => pemCertificates(v).length > 0, "must hold at least one PEM certificate")
      .optional(),
    /** `display.message.profile`: the line the VIP Access prompt shows under the title (a URL or name). */
    profile: z.string().min(1).max(250).optional(),
    /** VIP's own expiry for the prompt (`request.timeout`); defaults to the tenant's push timeout. */
    pushTimeoutSeconds: z.number().int().min(10).max(600).optional(),
    timeoutMs: timeoutMs.default(10_000),
  })
  .superRefine((config, ctx) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(config.certificate);
    } catch {
      ctx.addIssue({ code: "custom", path: ["certificate"], message: "must be a PEM X.509 certificate (the VIP certificate)" });
      return;
    }
    for (const [index, pem] of pemCertificates(config.ca ?? "").entries()) {
      try {
        new X509Certificate(pem);
      } catch {
        ctx.addIssue({ code: "custom", path: ["ca"], message: `certificate ${index + 1} is not a valid PEM X.509 certificate` });
      }
    }
    try {
      const key = createPrivateKey({ key: config.privateKey.reveal(), format: "pem", passphrase: config.passphrase?.reveal() ?? "" });
      if (!certificate.checkPrivateKey(key)) {
        ctx.addIssue({ code: "custom", path: ["privateKey"], message: "does not belong to the configured certificate" });
      }
    } catch {
      ctx.addIssue({
        code: "custom",
        path: ["privateKey"],
        message:
          config.passphrase === undefined
            ? "must be a PEM private key; if it is encrypted, set passphrase"
            : "must be a PEM private key that the passphrase decrypts",
      });
    }
  });

export type VipConfig = z.output<typeof vipConfigSchema>;

/** The configured certificate's expiry, for a warning before it lapses. */
export const certificateExpiry = (config: VipConfig): Date => new Date(new X509Certificate(config.certificate).validTo);
