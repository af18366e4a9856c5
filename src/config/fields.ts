import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";
import { parseSourceRange } from "../domain/source-allowlist.js";
import { Secret } from "./secret.js";

/**
 * Building blocks for configuration schemas, shared by the core schema and every adapter's own
 * schema (adapters export `<vendor>ConfigSchema` built from these).
 */

/** A secret: write it as ${ENV_NAME} or ${file:/path} in YAML; it parses to a redacting Secret. */
export const secretString = z
  .string()
  .min(1, "must not be empty")
  .transform((value) => new Secret(value));

/**
 * A vendor base URL. Every external URL is configurable (sovereign clouds, proxies, tests); http
 * is accepted so local fakes work, and the trailing slash is dropped.
 */
export const baseUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .transform((u) => u.replace(/\/+$/, ""));

/** A phone number already in E.164 form (for provider sender numbers; users' numbers are normalised). */
export const e164String = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number such as +14155550100");

/**
 * Addresses a webhook may come from: IPv4/IPv6 addresses or CIDR ranges. Absent means any source
 * (the shared secret is then the only proof).
 */
export const sourceRanges = z
  .array(
    z
      .string()
      .trim()
      .refine((entry) => parseSourceRange(entry) !== undefined, { message: "must be an IP address or a CIDR range such as 203.0.113.0/24" }),
  )
  .min(1, "list at least one address, or leave the setting out")
  .max(200);

/** Milliseconds for a timeout on one upstream call. */
export const timeoutMs = z.number().int().min(100).max(300_000);

/**
 * Checks at configuration time that a PEM certificate parses, that the PEM private key is RSA and
 * belongs to it: a mismatched pair would otherwise fail only at the first sign-in, with an
 * error from the vendor that names neither file.
 */
export function checkCertificatePair(
  pair: { readonly certificate: string; readonly privateKey: Secret },
  ctx: z.core.$RefinementCtx,
  why = "Entra signs assertions with RSA",
): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.certificate);
  } catch {
    ctx.addIssue({ code: "custom", path: ["certificate"], message: "must be a PEM X.509 certificate" });
    return;
  }
  try {
    const key = createPrivateKey(pair.privateKey.reveal());
    if (key.asymmetricKeyType !== "rsa") {
      ctx.addIssue({ code: "custom", path: ["privateKey"], message: `must be an RSA private key (${why})` });
    } else if (!certificate.checkPrivateKey(key)) {
      ctx.addIssue({ code: "custom", path: ["privateKey"], message: "does not belong to the configured certificate" });
    }
  } catch {
    ctx.addIssue({ code: "custom", path: ["privateKey"], message: "must be an unencrypted PEM private key" });
  }
}
