import { createHash } from "node:crypto";
import { VerityError } from "../../../domain/errors.js";
import type { TriggerRequest } from "../../../domain/ports.js";
import { hmacMatches, singleHeader } from "../shared/webhook-auth.js";

/** Zendesk publishes no tolerance; Verity allows what Standard Webhooks and Stripe allow. */
export const ZENDESK_TOLERANCE_MS = 5 * 60_000;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

/** The `x-zendesk-webhook-signature-timestamp` header as a date; null when absent or not ISO 8601. */
export function zendeskTimestamp(headers: TriggerRequest["headers"]): Date | null {
  const value = singleHeader(headers, "x-zendesk-webhook-signature-timestamp")?.trim();
  if (value === undefined || !ISO_8601.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * Whether `x-zendesk-webhook-signature` is base64(HMAC-SHA256(secret, timestamp + rawBody)), the
 * timestamp being the `…-signature-timestamp` header exactly as sent (PROVIDERS.md §5.6).
 */
export function zendeskSignatureMatches(secret: string, headers: TriggerRequest["headers"], rawBody: Buffer): boolean {
  const timestamp = singleHeader(headers, "x-zendesk-webhook-signature-timestamp");
  if (timestamp === undefined) return false;
  const content = Buffer.concat([Buffer.from(timestamp, "utf8"), rawBody]);
  return hmacMatches("sha256", Buffer.from(secret, "utf8"), content, singleHeader(headers, "x-zendesk-webhook-signature"));
}

/**
 * Remembers which invocation id each signature arrived under, for the tolerance window. Zendesk
 * signs the timestamp and body but not the invocation id, so a captured delivery re-sent under a
 * new invocation id would pass the signature and the store's replay check; this refuses it. It is
 * per process (a restart or a second instance forgets), hence a backstop, not the only check.
 */
export function createSignatureReplayGuard(options: { max?: number } = {}) {
  const max = options.max ?? 10_000;
  const seen = new Map<string, { invocation: string; at: number }>();
  return {
    /** @throws VerityError WEBHOOK_SIGNATURE_INVALID when this signature came before under another invocation id */
    check(signature: string, invocation: string, nowMs: number): void {
      for (const [key, entry] of seen) {
        if (nowMs - entry.at <= 2 * ZENDESK_TOLERANCE_MS && seen.size <= max) break;
        seen.delete(key);
      }
      const key = createHash("sha256").update(signature).digest("base64");
      const earlier = seen.get(key);
      if (earlier !== undefined && earlier.invocation !== invocation) {
        throw new VerityError("WEBHOOK_SIGNATURE_INVALID", { message: "This signed delivery was already received under another invocation id: a replay." });
      }
      if (earlier === undefined) seen.set(key, { invocation, at: nowMs });
    },
  };
}
