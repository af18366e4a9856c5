import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** Duo's 401 answers. 40101 and 40103 are documented; 40102 and 40105 are UNCONFIRMED codes. */
export interface SignatureRejection {
  readonly status: 401;
  readonly code: 40101 | 40102 | 40103 | 40105;
  readonly message: string;
}

export interface SignatureCheckInput {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parameters as received (query for GET, form body for POST), in arrival order. */
  readonly params: readonly (readonly [string, string])[];
}

export interface SignatureKeys {
  readonly integrationKey: string;
  readonly secretKey: string;
  /** The hostname this fake answers as; Duo checks the signed host against its own name. */
  readonly apiHost: string;
  readonly maxSkewSeconds: number;
  readonly acceptSha1: boolean;
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;

// Written apart from src/'s encoder, byte by byte over UTF-8, so a shared mistake cannot pass.
function percentEncodeBytes(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The canonical v2 string the fake expects, rebuilt from what arrived on the wire. */
export function fakeCanonicalString(input: SignatureCheckInput, apiHost: string, date: string): string {
  const sorted = [...input.params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const params = sorted.map(([k, v]) => `${percentEncodeBytes(k)}=${percentEncodeBytes(v)}`).join("&");
  return [date, input.method.toUpperCase(), apiHost.toLowerCase(), input.path, params].join("\n");
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const reject = (code: SignatureRejection["code"], message: string): SignatureRejection => ({ status: 401, code, message });

/** Checks a request's `Authorization` and `Date` the way Duo does; `null` when they are good. */
export function checkSignature(input: SignatureCheckInput, keys: SignatureKeys, nowMs: number): SignatureRejection | null {
  const authorization = header(input.headers, "authorization");
  const date = header(input.headers, "x-duo-date") ?? header(input.headers, "date");
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? "");
  if (basic?.[1] === undefined || date === undefined) return reject(40101, "Missing request credentials");
  const decoded = Buffer.from(basic[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const ikey = colon < 0 ? decoded : decoded.slice(0, colon);
  const signature = colon < 0 ? "" : decoded.slice(colon + 1).toLowerCase();
  if (ikey !== keys.integrationKey) return reject(40102, "Invalid integration key in request credentials");
  const at = Date.parse(date);
  if (Number.isNaN(at) || Math.abs(at - nowMs) > keys.maxSkewSeconds * 1000) {
    return reject(40105, "Request date is too far from the server's time");
  }
  const canonical = fakeCanonicalString(input, keys.apiHost, date);
  const algorithm = signature.length === 40 && keys.acceptSha1 ? "sha1" : "sha512";
  const expected = Buffer.from(createHmac(algorithm, keys.secretKey).update(canonical, "utf8").digest("hex"), "utf8");
  const given = Buffer.from(signature, "utf8");
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  return same ? null : reject(40103, "Invalid signature in request credentials");
}
