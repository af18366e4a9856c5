import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { Logger } from "pino";
import { z } from "zod";
import type { Clock } from "../../../domain/ports.js";
import type { OutboundClient } from "../../http/outbound.js";
import { readJson } from "../../http/json.js";
import { CONNECTWISE_KEY_HOSTS } from "./connectwise-config.js";

const MAX_KEY_URL = 2048;
const MAX_ENTRIES = 200;
/** A key is fetched again after a signature mismatch only when it is at least this old (rotation, not every forgery). */
const REFRESH_AFTER_MS = 60_000;
/** A key_url that failed is not asked again for this long, so forgeries cannot make Verity hammer it. */
const FAILURE_TTL_MS = 60_000;
/**
 * Key fetches Verity makes in any minute, whatever the URLs: each new `key_url` on an allowed
 * host costs one, so forged callbacks naming fresh ids cannot turn Verity into a request pump.
 */
const MAX_FETCHES_PER_MINUTE = 30;

const keyBody = z.object({ signing_key: z.string().min(1).max(4096) });

/**
 * The `key_url` of a callback when Verity may fetch it, else undefined. The URL arrives in an
 * unauthenticated body, so only ConnectWise's own cloud hosts over HTTPS on the default port, or
 * an origin the configuration lists, are allowed; credentials in the URL never are.
 */
export function allowedKeyUrl(raw: unknown, keyOrigins: readonly string[]): URL | undefined {
  if (typeof raw !== "string" || raw.length > MAX_KEY_URL) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "" || url.hash !== "") return undefined;
  if (keyOrigins.includes(url.origin)) return url;
  const host = url.hostname.toLowerCase();
  if (url.protocol !== "https:" || url.port !== "" || isIP(host) !== 0) return undefined;
  return (CONNECTWISE_KEY_HOSTS as readonly string[]).includes(host) ? url : undefined;
}

/** Signing keys by `key_url`, as the HMAC key ConnectWise uses: SHA-256 of `signing_key`. */
export interface CallbackKeySource {
  /** The cached key for `url` (fetched on first use); `refresh` fetches again when the cached one is old enough. */
  key(url: URL, options?: { refresh?: boolean }): Promise<Buffer | undefined>;
}

interface Entry {
  readonly key: Buffer | undefined;
  readonly at: number;
  readonly ttl: number;
}

/**
 * Fetches `GET key_url` → `{"signing_key": "…"}` without Verity's API credentials and without
 * following redirects (a redirect could lead off the allow-list), caching each URL's key for
 * `cacheSeconds` and each failure for a minute, one request at a time per URL, and at most
 * 30 fetches a minute in all.
 */
export function createCallbackKeySource(deps: { http: OutboundClient; clock: Clock; log: Pick<Logger, "warn">; cacheSeconds: number }): CallbackKeySource {
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Buffer | undefined>>();
  const now = () => deps.clock.now().getTime();
  const recentFetches: number[] = [];
  const withinBudget = (): boolean => {
    const since = now() - 60_000;
    while (recentFetches.length > 0 && (recentFetches[0] ?? 0) <= since) recentFetches.shift();
    if (recentFetches.length >= MAX_FETCHES_PER_MINUTE) return false;
    recentFetches.push(now());
    return true;
  };

  const fetchKey = async (url: URL): Promise<Buffer | undefined> => {
    try {
      const response = await deps.http.request({ method: "GET", url, headers: { accept: "application/json" }, retry: "idempotent" });
      const parsed = response.status === 200 ? keyBody.safeParse(readJson(response.text)) : undefined;
      if (parsed?.success === true) return createHash("sha256").update(parsed.data.signing_key, "utf8").digest();
      deps.log.warn({ service: "ConnectWise", host: url.host, status: response.status }, "a ConnectWise callback signing key could not be read");
    } catch {
      deps.log.warn({ service: "ConnectWise", host: url.host }, "a ConnectWise callback signing key could not be fetched");
    }
    return undefined;
  };

  const load = (href: string, url: URL): Promise<Buffer | undefined> => {
    const running = inFlight.get(href);
    if (running !== undefined) return running;
    if (!withinBudget()) {
      deps.log.warn({ service: "ConnectWise", host: url.host }, "too many ConnectWise callback signing keys asked for this minute; this callback is refused unfetched");
      return Promise.resolve(undefined);
    }
    const started = fetchKey(url)
      .then((key) => {
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
        cache.set(href, { key, at: now(), ttl: key === undefined ? FAILURE_TTL_MS : deps.cacheSeconds * 1000 });
        return key;
      })
      .finally(() => inFlight.delete(href));
    inFlight.set(href, started);
    return started;
  };

  return {
    async key(url, options = {}) {
      const href = url.href;
      const hit = cache.get(href);
      const age = hit === undefined ? Number.POSITIVE_INFINITY : now() - hit.at;
      if (hit !== undefined && age < hit.ttl && !(options.refresh === true && hit.key !== undefined && age >= REFRESH_AFTER_MS)) return hit.key;
      cache.delete(href);
      return load(href, url);
    },
  };
}
