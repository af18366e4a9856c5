import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";

const apiHost = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/, "a hostname such as api-xxxxxxxx.duosecurity.com (no scheme, no path)");

/**
 * A `providers.<name>` block of kind `duo`: the Duo Auth API (push and passcodes).
 *
 * `apiHost` is the API hostname from the Duo Admin Panel; it is what every request signs. Requests
 * go to `https://{apiHost}` unless `baseUrl` points elsewhere (an egress proxy, a local fake);
 * the signature still names `apiHost`, so whatever sits at `baseUrl` must forward to that host.
 * A port in `apiHost` is signed as written unless it is 443, the https default.
 *
 * @example
 * ```yaml
 * providers:
 *   duo:
 *     kind: duo
 *     apiHost: api-1a2b3c4d.duosecurity.com
 *     integrationKey: DIWJ8X6AEYOR5OMC6TQ1
 *     secretKey: ${DUO_SECRET_KEY}
 *     pushType: Caller verification
 * ```
 */
export const duoConfigSchema = z
  .strictObject({
    kind: z.literal("duo"),
    apiHost,
    integrationKey: z.string().regex(/^DI[0-9A-Z]{18}$/, "an integration key: DI followed by 18 capital letters or digits"),
    secretKey: secretString,
    baseUrl: baseUrl.optional(),
    /** The `type` Duo Mobile shows as the push's title line. */
    pushType: z.string().trim().min(1).max(100).default("Caller verification"),
    /** Ask for Verified Duo Push: the caller types a code that Verity shows the technician. */
    verifiedPush: z.boolean().default(false),
    timeoutMs: timeoutMs.default(10_000),
    /** One auth_status long poll may take this long; Duo holds it up to about a minute. */
    longPollTimeoutMs: timeoutMs.default(65_000),
  })
  .transform((config) => ({ ...config, baseUrl: config.baseUrl ?? `https://${config.apiHost}` }));

export type DuoConfig = z.output<typeof duoConfigSchema>;

/** The host a request signs: `apiHost` without the https default port. */
export function signedHost(config: Pick<DuoConfig, "apiHost">): string {
  return new URL(`https://${config.apiHost}`).host;
}
