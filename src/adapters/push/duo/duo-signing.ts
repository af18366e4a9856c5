import { createHmac } from "node:crypto";

/** Request parameters: one value, or several for a repeated key (kept in the given order). */
export type DuoParams = Readonly<Record<string, string | readonly string[]>>;

/** The digests Duo accepts for v2 signatures: SHA-512 today, SHA-1 in older clients. */
export type DuoSigningAlgorithm = "sha512" | "sha1";

/** What one signed call covers: everything in the canonical string except the parameters' order. */
export interface DuoSigningInput {
  readonly method: string;
  /** The API hostname as Duo knows it, with a port only when it is not the scheme's default. */
  readonly host: string;
  readonly path: string;
  readonly params: DuoParams;
  /** The exact `Date` header value (RFC 2822). */
  readonly date: string;
}

const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Percent-encodes like Duo: only `A-Z a-z 0-9 - _ . ~` stay bare; space is `%20`. */
export const percentEncode = (value: string): string =>
  // encodeURIComponent leaves !'()* alone; Duo's canonical form (RFC 3986 unreserved only) does not.
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The canonical parameter string: keys in UTF-16 code-unit order, each `key=value` percent-encoded
 * (space as `%20`, only `A-Z a-z 0-9 - _ . ~` left bare), joined by `&`. It is also the exact
 * query string or form body Verity sends, so what is signed is what goes on the wire.
 *
 * @example
 * ```ts
 * canonParams({ username: "root", realname: "First Last" }); // "realname=First%20Last&username=root"
 * ```
 */
export function canonParams(params: DuoParams): string {
  return Object.keys(params)
    .sort(compareCodeUnits)
    .flatMap((key) => {
      const value = params[key] ?? [];
      const values: readonly string[] = typeof value === "string" ? [value] : value;
      return values.map((v) => `${percentEncode(key)}=${percentEncode(v)}`);
    })
    .join("&");
}

/** The v2 canonical request: date, METHOD, host (lower case), path and parameters, one per line. */
export function canonicalRequest(input: DuoSigningInput): string {
  return [input.date, input.method.toUpperCase(), input.host.toLowerCase(), input.path, canonParams(input.params)].join("\n");
}

/** The lowercase hex HMAC of the canonical request under the secret key. */
export function duoSignature(secretKey: string, input: DuoSigningInput, algorithm: DuoSigningAlgorithm = "sha512"): string {
  return createHmac(algorithm, secretKey).update(canonicalRequest(input), "utf8").digest("hex");
}

/**
 * The `Authorization` header of a v2-signed Duo request: `Basic base64(ikey:hexsig)`.
 *
 * @example
 * ```ts
 * const date = rfc2822Date(clock.now());
 * const authorization = duoAuthorization(ikey, skey, { method: "POST", host, path: "/auth/v2/preauth", params, date });
 * ```
 */
export function duoAuthorization(
  integrationKey: string,
  secretKey: string,
  input: DuoSigningInput,
  algorithm: DuoSigningAlgorithm = "sha512",
): string {
  return `Basic ${Buffer.from(`${integrationKey}:${duoSignature(secretKey, input, algorithm)}`, "utf8").toString("base64")}`;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const pad = (n: number): string => String(n).padStart(2, "0");

/** A date in the RFC 2822 form Duo's examples use, in UTC: `Tue, 21 Aug 2012 17:29:18 -0000`. */
export function rfc2822Date(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()] ?? ""}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()] ?? ""} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} -0000`
  );
}
