import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { secretString, sourceRanges } from "../../../config/fields.js";
import type { Secret } from "../../../config/secret.js";
import { verifyStandardWebhook } from "../../http/standard-webhooks.js";
import { VerityError } from "../../../domain/errors.js";
import type { RequestHeaders, TriggerRequest } from "../../../domain/ports.js";
import { createSourceAllowlist } from "../../../domain/source-allowlist.js";

/**
 * How Verity checks that a trigger comes from the ticketing system, for systems that cannot sign
 * (HaloPSA, Freshservice, Jira automation) or that sign with Verity's own scheme (a ServiceNow
 * script). Vendor signatures (ConnectWise, Autotask, Zendesk) live in their adapters and use the
 * helpers below. Every comparison is constant-time over digests, so neither content nor length
 * leaks through timing; repeated or oversized headers count as absent.
 */

const SECRET_MIN = 24;
const MAX_HEADER = 4096;

/** A shared secret long enough that guessing it is hopeless (Standard Webhooks asks ≥ 24 bytes). */
export const webhookSecret = secretString.refine((secret) => secret.reveal().length >= SECRET_MIN, {
  message: `must be at least ${SECRET_MIN} characters: generate it, e.g. openssl rand -base64 32`,
});

const header = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]{1,64}$/, "a header name: letters, digits and hyphens");

/**
 * A trigger's credentials:
 * - `basic`: `Authorization: Basic base64(username:password)`, both parts must match;
 * - `token`: `Authorization: Bearer <token>`, or the token in `header` (default `X-Verity-Token`);
 * - `standard-webhooks`: a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 *   `webhook-signature`) with a `whsec_` secret, for senders that can compute an HMAC.
 * `allowedSources` (the system's egress addresses) is checked first, independently.
 */
export const sharedSecretAuthSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("basic"),
    // Basic credentials split at the first colon, so a colon in the username could never match.
    username: z.string().min(1).max(200).regex(/^[^:\p{Cc}]+$/u, "must not contain a colon or control characters"),
    password: webhookSecret,
    allowedSources: sourceRanges.optional(),
  }),
  z.strictObject({ kind: z.literal("token"), token: webhookSecret, header: header.optional(), allowedSources: sourceRanges.optional() }),
  z.strictObject({
    kind: z.literal("standard-webhooks"),
    secret: secretString.refine((s) => /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(s.reveal()), {
      message: "must be whsec_ followed by base64 of 24 to 64 random bytes, e.g. whsec_$(openssl rand -base64 32)",
    }),
    allowedSources: sourceRanges.optional(),
  }),
]);

export type SharedSecretAuth = z.output<typeof sharedSecretAuthSchema>;

/** The check a trigger runs before reading its body, for a `sharedSecretAuthSchema` config. */
export function sharedSecretCheck(config: SharedSecretAuth, log?: { warn(o: object, m: string): void }): (request: TriggerRequest) => void {
  const allowed = config.allowedSources === undefined ? null : createSourceAllowlist(config.allowedSources);
  return (request) => {
    if (allowed !== null && !allowed(request.ip)) {
      log?.warn({ source: request.ip }, "refused a ticketing trigger from an address outside its allowedSources");
      throw new VerityError("SOURCE_NOT_ALLOWED");
    }
    if (!checkSharedSecret(config, request)) throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
  };
}

function checkSharedSecret(config: SharedSecretAuth, request: Pick<TriggerRequest, "headers" | "rawBody" | "receivedAt">): boolean {
  const { headers } = request;
  if (config.kind === "standard-webhooks") {
    return verifyStandardWebhook({ secret: config.secret.reveal(), headers, body: request.rawBody.toString("utf8"), nowSeconds: request.receivedAt.getTime() / 1000 });
  }
  const authorization = singleHeader(headers, "authorization");
  if (config.kind === "basic") {
    const credentials = basicCredentials(authorization);
    if (credentials === undefined) return false;
    const userMatches = sameSecret(credentials.username, config.username);
    const passwordMatches = sameSecret(credentials.password, config.password.reveal());
    return userMatches && passwordMatches;
  }
  const expected = config.token.reveal();
  const bearer = authorization === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
  const custom = singleHeader(headers, config.header ?? "x-verity-token")?.trim();
  const bearerMatches = bearer !== undefined && sameSecret(bearer, expected);
  const customMatches = custom !== undefined && custom !== "" && sameSecret(custom, expected);
  return bearerMatches || customMatches;
}

/** Whether the headers carry the configured Basic or token credentials (HaloPSA's older entry point). */
export function checkWebhookCredentials(config: SharedSecretAuth, headers: RequestHeaders): boolean {
  return config.kind !== "standard-webhooks" && checkSharedSecret(config, { headers, rawBody: Buffer.alloc(0), receivedAt: new Date() });
}

/** One header's single value; repeated or oversized headers count as absent. */
export function singleHeader(headers: RequestHeaders, name: string): string | undefined {
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

/** Constant-time equality of two secrets of any length (compares SHA-256 digests). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Whether `given` (a header's value) is the base64 HMAC of `content` under `key`, compared in
 * constant time: ConnectWise (SHA-256), Autotask (SHA-1) and Zendesk (SHA-256) sign this way.
 */
export function hmacMatches(algorithm: "sha1" | "sha256", key: string | Buffer, content: Buffer | string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = createHmac(algorithm, key).update(content).digest("base64");
  return sameSecret(given.trim(), expected);
}

export type { Secret };
