import { createHmac, hkdfSync } from "node:crypto";

/** Purpose-separated keys derived from the one configured secret, so no key serves two jobs. */
export interface KeyRing {
  /** Keys the stored hash of each one-time code. */
  readonly code: Buffer;
  /** Keys the pseudonymous hash of a destination (phone number or email). */
  readonly destination: Buffer;
  /** Signs the capability in a verification page link. */
  readonly link: Buffer;
  /** Signs the audit chain heads exported to sinks outside the database (anchors). */
  readonly anchor: Buffer;
  /** Derives each web session's CSRF token from the session. */
  readonly csrf: Buffer;
  /** Seals secrets Verity must read back (TOTP secrets) with AES-256-GCM. */
  readonly seal: Buffer;
  /** Keys the client names (addresses, token and account ids) in the shared request counts. */
  readonly requestLimit: Buffer;
}

export function deriveKeyRing(secret: Buffer): KeyRing {
  const derive = (info: string): Buffer => Buffer.from(hkdfSync("sha256", secret, "verity-v1", info, 32));
  return Object.freeze({
    code: derive("otp-code"),
    destination: derive("destination"),
    link: derive("verification-link"),
    anchor: derive("audit-anchor"),
    csrf: derive("web-csrf"),
    seal: derive("sealed-secret"),
    requestLimit: derive("request-limit"),
  });
}

/**
 * A stable pseudonym for a destination: the same number always hashes the same under one key, so
 * an auditor can correlate events without the number itself being stored.
 */
export function hashDestination(keys: KeyRing, destination: string): string {
  return createHmac("sha256", keys.destination).update(destination.trim().toLowerCase()).digest("base64url");
}
