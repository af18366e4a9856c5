import { createHash, timingSafeEqual } from "node:crypto";
import type { HaloWebhookAuthConfig } from "./halopsa-config.js";

/** Headers as Node and Fastify give them; names in any case. */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

const MAX_HEADER = 4096;

/**
 * Whether a webhook request carries the configured credentials. HaloPSA signs nothing; it can
 * only send Basic credentials, so those (or a long token, for runbooks and proxies that can set
 * headers) are the whole proof. Every comparison is constant-time over SHA-256 digests, so
 * neither content nor length leaks through timing.
 *
 * - `basic`: `Authorization: Basic base64(username:password)`; both parts must match.
 * - `token`: `Authorization: Bearer <token>` or `X-Verity-Token: <token>`.
 *
 * Missing, repeated or malformed headers give `false`.
 *
 * @example
 * ```ts
 * if (!checkHaloWebhookAuth(config.webhook, request.headers)) throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
 * ```
 */
export function checkHaloWebhookAuth(config: HaloWebhookAuthConfig, headers: WebhookHeaders): boolean {
  const authorization = header(headers, "authorization");
  if (config.kind === "basic") {
    const credentials = basicCredentials(authorization);
    if (credentials === undefined) return false;
    const userMatches = sameSecret(credentials.username, config.username);
    const passwordMatches = sameSecret(credentials.password, config.password.reveal());
    return userMatches && passwordMatches;
  }
  const expected = config.token.reveal();
  const bearer = authorization === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
  const custom = header(headers, "x-verity-token")?.trim();
  const bearerMatches = bearer !== undefined && sameSecret(bearer, expected);
  const customMatches = custom !== undefined && custom !== "" && sameSecret(custom, expected);
  return bearerMatches || customMatches;
}

/** One header's single value; repeated or oversized headers count as absent. */
function header(headers: WebhookHeaders, name: string): string | undefined {
  let found: string | undefined;
  let seen = 0;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    seen += values.length;
    found = values[0];
  }
  if (seen !== 1 || found === undefined || found.length > MAX_HEADER) return undefined;
  return found;
}

function basicCredentials(authorization: string | undefined): { username: string; password: string } | undefined {
  const encoded = authorization === undefined ? undefined : /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization)?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
