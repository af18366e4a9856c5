import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * A receiver's signature check written from the Standard Webhooks specification's text alone
 * (PROVIDERS.md 9.1), deliberately not importing Verity's signer, so a test that passes proves
 * Verity signs as the spec says rather than agreeing with itself:
 * - the secret is `whsec_` + base64; the HMAC key is the decoded bytes;
 * - the signed content is `${webhook-id}.${webhook-timestamp}.${body}` (the raw body);
 * - `webhook-signature` is a space-delimited list of `version,signature`; `v1` is base64 of
 *   HMAC-SHA256; other versions are skipped; comparison is constant-time;
 * - a timestamp more than five minutes from now is refused.
 */
export function specVerify(input: {
  secret: string;
  id: string | undefined;
  timestamp: string | undefined;
  signatureHeader: string | undefined;
  body: string;
  nowSeconds: number;
}): { ok: true } | { ok: false; why: string } {
  const { id, timestamp, signatureHeader } = input;
  if (id === undefined || timestamp === undefined || signatureHeader === undefined) return { ok: false, why: "missing headers" };
  if (!input.secret.startsWith("whsec_")) return { ok: false, why: "not a whsec_ secret" };
  const key = Buffer.from(input.secret.substring("whsec_".length), "base64");
  const seconds = Number.parseInt(timestamp, 10);
  if (!/^[0-9]+$/.test(timestamp) || Math.abs(input.nowSeconds - seconds) > 5 * 60) return { ok: false, why: "timestamp outside tolerance" };
  const expected = createHmac("sha256", key).update(Buffer.from(`${id}.${timestamp}.${input.body}`, "utf8")).digest();
  for (const part of signatureHeader.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    const given = Buffer.from(part.slice(comma + 1), "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, why: "no matching v1 signature" };
}
