import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Secrets Verity must read back later (a TOTP secret) are stored sealed: AES-256-GCM with a key
 * derived from security.hashKey, `v1.<iv>.<ciphertext>.<tag>`. A copy of the database alone does
 * not reveal them.
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** The plaintext, or null when the sealed value was tampered with, belongs elsewhere or the key changed. */
export function unseal(key: Buffer, sealed: string, context: string): string | null {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || iv === undefined || body === undefined || tag === undefined) return null;
  try {
    // Without authTagLength, a tag cut to 4 bytes would be checked as just those 4 bytes.
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
