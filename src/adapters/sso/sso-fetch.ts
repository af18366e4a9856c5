import type * as oidc from "openid-client";
import type { OutboundClient } from "../http/outbound.js";

// Headers that describe the wire, not the body undici already decoded for us.
const WIRE_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]);
const NO_BODY = new Set([101, 204, 205, 304]);

function bodyText(body: oidc.FetchBody): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString("utf8");
  throw new TypeError("a streamed request body is not supported here");
}

/** A cached GET: the text of a 200 answer, fetched through `fetchOnce` when the cache has none. */
export interface CachedGet {
  readonly url: string;
  get(url: string, fetchOnce: () => Promise<Response>): Promise<string>;
}

/**
 * openid-client's `fetch`, over Verity's one outbound client: a timeout on connecting and on every
 * call, retries only for reads (a code is spent by its first use, so the token request is sent
 * once), nothing logged. The discovery document, fetched and cached by the caller, is answered
 * from memory, so a Configuration can be rebuilt for every sign-in without a network call; the key
 * set, when `keySet` is given, goes through the caller's single-flight cache.
 */
export function libraryFetch(outbound: OutboundClient, discovery: { url: string; body: string }, keySet?: CachedGet): oidc.CustomFetch {
  const send = async (url: string, options: Parameters<oidc.CustomFetch>[1]): Promise<Response> => {
    const method = options.method === "POST" ? "POST" : "GET";
    const body = bodyText(options.body);
    const answer = await outbound.request({
      method,
      url,
      headers: options.headers,
      ...(body === undefined ? {} : { body }),
      retry: method === "GET" ? "idempotent" : "none",
    });
    const headers = Object.entries(answer.headers).filter(([name]) => !WIRE_HEADERS.has(name));
    return new Response(NO_BODY.has(answer.status) ? null : answer.text, { status: answer.status, headers });
  };
  return async (url, options) => {
    if (options.method === "GET" && url === discovery.url) {
      return new Response(discovery.body, { status: 200, headers: { "content-type": "application/json" } });
    }
    if (options.method === "GET" && keySet !== undefined && url === keySet.url) {
      let failed: Response | undefined;
      try {
        const text = await keySet.get(url, async () => {
          const response = await send(url, options);
          if (response.status !== 200) failed = response;
          return response;
        });
        return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
      } catch (error) {
        // A failed answer is not cached: openid-client sees it as it came and raises its own error.
        if (failed !== undefined) return failed;
        throw error;
      }
    }
    return send(url, options);
  };
}
