import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Form parameters as a body parser yields them: one value, or several for a repeated key. */
export type TwilioParams = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface TwilioSignatureInput {
  /** The account Auth Token (an API-key secret does not sign webhooks). */
  readonly authToken: string;
  /** The full URL Twilio called, query string included, exactly as given to Twilio. */
  readonly url: string;
  /** The POST form parameters; `{}` for a GET or a JSON body. */
  readonly params: TwilioParams;
  /** The `X-Twilio-Signature` header. */
  readonly signature: string | undefined;
}

/**
 * The `X-Twilio-Signature` Twilio would send for a URL and form: base64 HMAC-SHA1, keyed with the
 * Auth Token, over the URL followed by every parameter as key+value in key order (a repeated key
 * once per distinct value, values sorted).
 */
export function computeTwilioSignature(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined) continue;
    const values = typeof value === "string" ? [value] : [...new Set(value)].sort();
    for (const item of values) data += key + item;
  }
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/**
 * Checks a Twilio webhook's `X-Twilio-Signature` in constant time.
 *
 * Twilio computes the signature over the URL inconsistently with respect to an explicit default
 * port, so the URL is tried as given, and with the default port (`:443`/`:80`) added or removed.
 *
 * @example
 * ```ts
 * validateTwilioSignature({ authToken, url: "https://verity.example/hooks/twilio/acme-sms", params: form, signature: header });
 * ```
 */
export function validateTwilioSignature(input: TwilioSignatureInput): boolean {
  if (input.signature === undefined || input.signature === "" || input.authToken === "") return false;
  const given = Buffer.from(input.signature, "utf8");
  let valid = false;
  for (const url of urlVariants(input.url)) {
    const expected = Buffer.from(computeTwilioSignature(input.authToken, url, input.params), "utf8");
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

/**
 * Checks a webhook whose body is JSON: the signature covers the URL alone (which carries
 * `bodySHA256`), and that hash must be the SHA-256 of the raw body.
 */
export function validateTwilioJsonSignature(input: {
  readonly authToken: string;
  readonly url: string;
  readonly rawBody: string | Buffer;
  readonly signature: string | undefined;
}): boolean {
  const claimed = bodyHashParam(input.url);
  if (claimed === undefined) return false;
  const signed = validateTwilioSignature({ authToken: input.authToken, url: input.url, params: {}, signature: input.signature });
  const actual = Buffer.from(createHash("sha256").update(input.rawBody).digest("hex"), "utf8");
  const expected = Buffer.from(claimed.toLowerCase(), "utf8");
  return signed && actual.length === expected.length && timingSafeEqual(actual, expected);
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { "http:": "80", "https:": "443" };
// Split by hand: WHATWG URL would drop a default port and re-encode the query, changing the signed text.
const URL_PARTS = /^([a-z][a-z0-9+.-]*:)(\/\/(?:[^/?#@]*@)?)(\[[^\]]*\]|[^/?#:]*)(?::(\d*))?(.*)$/is;

/** The URL as given, plus the same URL with its default port added or removed. */
export function urlVariants(url: string): string[] {
  const match = URL_PARTS.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  const defaultPort = scheme === undefined ? undefined : DEFAULT_PORTS[scheme];
  if (match === null || defaultPort === undefined) return [url];
  const [, protocol = "", authority = "", host = "", port, rest = ""] = match;
  if (port === undefined || port === "") return [url, `${protocol}${authority}${host}:${defaultPort}${rest}`];
  if (port === defaultPort) return [url, `${protocol}${authority}${host}${rest}`];
  return [url];
}

function bodyHashParam(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get("bodySHA256") ?? undefined;
  } catch {
    return undefined;
  }
}
