import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Standard Webhooks (standardwebhooks.com), symmetric v1 signatures: how Verity signs what it
 * sends to receivers it does not otherwise trust, so they can check it came from Verity.
 *
 * @example
 * const headers = signStandardWebhook({ secret: "whsec_…", id: "msg_1", timestampSeconds: 1614265330, body });
 * await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
 */
export type StandardWebhookHeaders = {
  readonly "webhook-id": string;
  readonly "webhook-timestamp": string;
  readonly "webhook-signature": string;
};

const SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The HMAC key inside a `whsec_<base64>` secret, or undefined when the text is not one. The spec
 * asks for 24 to 64 random bytes; shorter keys are refused rather than quietly weakening the MAC.
 */
export function webhookSecretKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, "base64");
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

function keyOf(secret: string): Buffer {
  const key = webhookSecretKey(secret);
  if (key === undefined) throw new TypeError("a Standard Webhooks secret is whsec_ followed by base64 of 24 to 64 bytes");
  return key;
}

function signature(key: Buffer, id: string, timestamp: string, body: string): string {
  return createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/** The three headers that carry a message's id, time and v1 signature over `id.timestamp.body`. */
export function signStandardWebhook(input: { secret: string; id: string; timestampSeconds: number; body: string }): StandardWebhookHeaders {
  const timestamp = String(Math.floor(input.timestampSeconds));
  return {
    "webhook-id": input.id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${signature(keyOf(input.secret), input.id, timestamp, input.body)}`,
  };
}

/**
 * A receiver's check: one of the space-separated `v1,` signatures matches (several appear while
 * a secret is rotated; other versions are skipped) and the timestamp is within `toleranceSeconds`
 * of now, which bounds how long a captured message can be replayed.
 */
export function verifyStandardWebhook(input: {
  secret: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const header = (name: string) => {
    const value = input.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header("webhook-id");
  const timestamp = header("webhook-timestamp");
  const signatures = header("webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(input.nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signature(keyOf(input.secret), id, timestamp, input.body));
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
