import { createHmac, randomBytes, randomInt } from "node:crypto";
import { hashesEqual } from "./otp.js";
import type { KeyRing } from "./keys.js";

/** A confirmation link works for 10 minutes at most (SECURITY.md A1 #2), whatever the code TTL. */
export const LINK_LIFETIME_SECONDS = 600;
/** How many numbers the caller's page offers: the right one among decoys. */
export const LINK_CHOICES = 4;

/** 128 bits from the CSPRNG, as 22 base64url characters. */
export function generateLinkToken(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The stored form of a link token: HMAC-SHA256 under the link key, bound to the verification id,
 * so a token issued for one verification never matches another and the database never holds one.
 */
export function hashLinkToken(keys: KeyRing, verificationId: string, token: string): string {
  return createHmac("sha256", keys.link).update(`caller-link\u0000${verificationId}\u0000${token}`).digest("base64url");
}

/** Whether `token` is the live one, in constant time; a used or dead link (null hash) never matches. */
export function linkTokenMatches(keys: KeyRing, verificationId: string, token: string, storedHash: string | null): boolean {
  const given = hashLinkToken(keys, verificationId, token);
  // Compared even without a stored hash, so an unknown or used link takes the time a live one does.
  const matched = hashesEqual(given, storedHash ?? "x".repeat(given.length));
  return storedHash !== null && matched;
}

const REF = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{22})$/;

/** `<verification id>.<token>` as the link's last path segment, or null for any other shape. */
export function parseLinkRef(ref: string): { id: string; token: string } | null {
  const match = REF.exec(ref);
  return match?.[1] === undefined || match[2] === undefined ? null : { id: match[1], token: match[2] };
}

export const linkRef = (verificationId: string, token: string): string => `${verificationId}.${token}`;

/** The number the technician reads out: two digits, 10 to 99, from the CSPRNG (like a push's). */
export function generateChallenge(): string {
  return String(randomInt(10, 100));
}

/**
 * The numbers the caller's page offers: the challenge among decoys, in an order that looks random.
 * Derived from the link's stored hash, so every render of one link shows the same set: if each
 * render drew fresh decoys, reloading would reveal the right number as the one that stays.
 */
export function linkChoices(keys: KeyRing, storedHash: string, challenge: string): string[] {
  const digest = createHmac("sha256", keys.link).update(`caller-link-choices\u0000${storedHash}`).digest();
  const numbers = new Set<string>([challenge]);
  for (let i = 0; numbers.size < LINK_CHOICES && i < digest.length; i += 1) numbers.add(String(10 + ((digest[i] ?? 0) % 90)));
  for (let n = 10; numbers.size < LINK_CHOICES; n += 1) numbers.add(String(n));
  const order = [...numbers].map((value, i) => ({ value, rank: createHmac("sha256", keys.link).update(`order\u0000${storedHash}\u0000${i}`).digest().readUInt32BE(0) }));
  return order.sort((a, b) => a.rank - b.rank).map((o) => o.value);
}

/**
 * The form's anti-forgery value: `<issued epoch seconds>.<HMAC>` over the verification and the
 * link's stored hash. A page from Verity carries one; a cross-site form cannot read it, and a
 * resend (a new hash) makes old ones fail.
 */
export function issueFormNonce(keys: KeyRing, verificationId: string, storedHash: string, now: Date): string {
  const issued = Math.floor(now.getTime() / 1000);
  return `${issued}.${nonceMac(keys, verificationId, storedHash, issued)}`;
}

export function checkFormNonce(keys: KeyRing, verificationId: string, storedHash: string, nonce: unknown, now: Date): boolean {
  if (typeof nonce !== "string") return false;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(nonce);
  if (match?.[1] === undefined || match[2] === undefined) return false;
  const issued = Number(match[1]);
  const fresh = issued * 1000 <= now.getTime() + 60_000 && now.getTime() - issued * 1000 <= LINK_LIFETIME_SECONDS * 1000;
  return hashesEqual(nonceMac(keys, verificationId, storedHash, issued), match[2]) && fresh;
}

function nonceMac(keys: KeyRing, verificationId: string, storedHash: string, issued: number): string {
  return createHmac("sha256", keys.link).update(`caller-link-form\u0000${verificationId}\u0000${storedHash}\u0000${issued}`).digest("base64url");
}
