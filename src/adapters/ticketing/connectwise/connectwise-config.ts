import { z } from "zod";
import { baseUrl, secretString, sourceRanges, timeoutMs } from "../../../config/fields.js";
import { sharedSecretAuthSchema } from "../shared/webhook-auth.js";

/**
 * The hosts ConnectWise's cloud serves callback signing keys from (PROVIDERS.md §5.2.1, after
 * Nango's routing code). A `key_url` elsewhere is fetched only when its origin is listed in
 * `callback.keyOrigins`.
 */
export const CONNECTWISE_KEY_HOSTS = [
  "api-na.myconnectwise.net",
  "api-eu.myconnectwise.net",
  "api-au.myconnectwise.net",
  "sandbox-na.myconnectwise.net",
  "sandbox-eu.myconnectwise.net",
  "sandbox-au.myconnectwise.net",
  "na.myconnectwise.net",
  "eu.myconnectwise.net",
  "au.myconnectwise.net",
] as const;

/** An origin (scheme, host, port) with nothing after it: `https://cw.example.com`. */
const origin = z
  .url({ protocol: /^https?$/, error: "must be an http(s) origin such as https://cw.example.com" })
  .refine((value) => {
    const url = new URL(value);
    return url.username === "" && url.password === "" && (url.pathname === "/" || url.pathname === "") && url.search === "" && url.hash === "";
  }, "must be an origin only (scheme, host and port), without a path, query or credentials")
  .transform((value) => new URL(value).origin);

const callbackSchema = z.strictObject({
  /**
   * Origins besides ConnectWise's cloud hosts whose `key_url` Verity may fetch: an on-premises
   * server (`https://cw.example.com`). Listing one is a statement that it is yours.
   */
  keyOrigins: z.array(origin).max(20).default([]),
  /** How long a fetched signing key is reused for the same `key_url`. */
  keyCacheSeconds: z.number().int().min(0).max(86_400).default(3600),
  /**
   * Member identifiers whose changes never start a verification: the API member Verity uses, so
   * its own notes on a ticket in the "Verify caller" status cannot trigger another callback.
   */
  ignoreMembers: z
    .array(z.string().trim().regex(/^[A-Za-z0-9._@-]{1,100}$/, "a member identifier"))
    .max(50)
    .default([]),
  /**
   * The statuses (names, any case, or ids) a ticket must be in, read back from the API, for its
   * callback to start anything: the "Verify caller" status. Recommended: it binds a callback to
   * a change a technician made on this site.
   */
  statuses: z
    .array(z.union([z.number().int().positive().safe(), z.string().trim().min(1).max(50)]))
    .min(1, "list at least one status, or leave the setting out")
    .max(50)
    .optional(),
  /** ConnectWise's egress addresses, when known: other senders are refused before anything is read. */
  allowedSources: sourceRanges.optional(),
});

/**
 * A ticketing block of kind `connectwise`: the API member's keys, the integration's clientId and
 * where callbacks may take their signing keys from.
 *
 * @example
 * ```yaml
 * ticketing:
 *   desk:
 *     kind: connectwise
 *     apiUrl: https://api-na.myconnectwise.net/v4_6_release/apis/3.0
 *     companyId: acme
 *     publicKey: ${CW_PUBLIC_KEY}
 *     privateKey: ${CW_PRIVATE_KEY}
 *     clientId: 3f1c2d4e-…               # from developer.connectwise.com
 *     callback:
 *       keyOrigins: [https://cw.acme.example]   # on-premises only
 * ```
 */
export const connectwiseConfigSchema = z.strictObject({
  kind: z.literal("connectwise"),
  /** The REST base: `https://<site>/v4_6_release/apis/3.0` (`api-na.myconnectwise.net` and so on). */
  apiUrl: baseUrl,
  /** The company id typed at ConnectWise's sign-in. */
  companyId: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^:+\p{Cc}\s]+$/u, "must not contain spaces, '+', ':' or control characters"),
  publicKey: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^:\p{Cc}\s]+$/u, "must not contain spaces, ':' or control characters"),
  privateKey: secretString,
  /** The integration's clientId from developer.connectwise.com, sent on every call. */
  clientId: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be the GUID issued at developer.connectwise.com"),
  callback: callbackSchema.default({ keyOrigins: [], keyCacheSeconds: 3600, ignoreMembers: [] }),
  /**
   * Optional: presses from your own automation (`{ticketId, id, timestamp}`) on the same URL,
   * without ConnectWise's signature, checked with Basic credentials, a token or a Standard
   * Webhooks signature. Absent: only signed ConnectWise callbacks are accepted.
   */
  workflow: sharedSecretAuthSchema.optional(),
  timeoutMs: timeoutMs.default(10_000),
});

export type ConnectWiseConfig = z.output<typeof connectwiseConfigSchema>;
export type ConnectWiseCallbackConfig = ConnectWiseConfig["callback"];
