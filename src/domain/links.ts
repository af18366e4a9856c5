import { createHmac, timingSafeEqual } from "node:crypto";
import type { KeyRing } from "./keys.js";

/**
 * A capability for one verification's page: `<expiry epoch seconds>.<HMAC>`. It goes in the
 * link's #fragment, which browsers never send to servers or in Referer headers; the page's script
 * passes it in a header. It grants actions on that one verification only, until it expires.
 */
export function issueLinkCapability(keys: KeyRing, verificationId: string, expiresAt: Date): string {
  const expiry = Math.floor(expiresAt.getTime() / 1000);
  return `${expiry}.${mac(keys, verificationId, expiry)}`;
}

export function checkLinkCapability(keys: KeyRing, verificationId: string, capability: string, now: Date): boolean {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(capability);
  if (match?.[1] === undefined || match[2] === undefined) return false;
  const expiry = Number(match[1]);
  const expected = Buffer.from(mac(keys, verificationId, expiry));
  const given = Buffer.from(match[2]);
  return expected.length === given.length && timingSafeEqual(expected, given) && expiry * 1000 > now.getTime();
}

function mac(keys: KeyRing, verificationId: string, expiry: number): string {
  return createHmac("sha256", keys.link).update(`${verificationId}\u0000${expiry}`).digest("base64url");
}
