import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One answer of a fake vendor API. */
export interface FakeHttpReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Which requests a failure rule applies to: a path prefix (any case) and a method. */
export interface FakeHttpMatch {
  readonly path?: string;
  readonly method?: "GET" | "POST" | "PUT";
}

export interface FakeHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
}

/** A request as the vendor's router sees it. */
export interface FakeHttpInput {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeHttpServer {
  readonly base: string;
  /** Every request, in order, with the status the fake answered. */
  readonly requests: readonly FakeHttpRequest[];
  readonly count: (method: string, pathPrefix: string) => number;
  /** Answers matching requests with 503 until `heal()`. */
  readonly fail: (match?: FakeHttpMatch) => void;
  /** Answers the next `n` matching requests with 429 and `Retry-After: retryAfterSeconds`. */
  readonly throttle: (n: number, match?: FakeHttpMatch & { retryAfterSeconds?: number }) => void;
  readonly heal: () => void;
  readonly close: () => Promise<void>;
}

interface Rule extends FakeHttpMatch {
  readonly mode: "down" | "throttle";
  remaining: number;
  readonly retryAfterSeconds: number;
}

/**
 * The HTTP shell shared by the Freshservice and Zendesk fakes: a real server on 127.0.0.1 with a
 * random port, switchable 503 outages and 429 throttling (with the vendor's own error bodies),
 * and a log of what was asked. The vendor's contract lives in `route`.
 */
export async function startFakeHttp(options: {
  readonly route: (input: FakeHttpInput, base: string) => FakeHttpReply;
  readonly throttled: FakeHttpReply;
  readonly unavailable: FakeHttpReply;
}): Promise<FakeHttpServer> {
  const rules: Rule[] = [];
  const requests: FakeHttpRequest[] = [];
  let base = "";
  const matching = (method: string, path: string) =>
    rules.find((r) => r.remaining > 0 && (r.method === undefined || r.method === method) && (r.path === undefined || path.toLowerCase().startsWith(r.path.toLowerCase())));

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", base);
      const method = request.method ?? "GET";
      const rule = matching(method, url.pathname);
      let reply: FakeHttpReply;
      if (rule?.mode === "throttle") {
        rule.remaining -= 1;
        reply = { ...options.throttled, headers: { ...options.throttled.headers, "retry-after": String(rule.retryAfterSeconds) } };
      } else if (rule?.mode === "down") {
        reply = options.unavailable;
      } else {
        reply = options.route({ method, url, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") }, base);
      }
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: reply.status });
      const headers = { ...(reply.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }), ...reply.headers };
      response.writeHead(reply.status, headers).end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    requests,
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.toLowerCase().startsWith(prefix.toLowerCase())).length,
    fail: (match = {}) => {
      rules.unshift({ ...match, mode: "down", remaining: Number.POSITIVE_INFINITY, retryAfterSeconds: 0 });
    },
    throttle: (n, match = {}) => {
      rules.unshift({ ...match, mode: "throttle", remaining: n, retryAfterSeconds: match.retryAfterSeconds ?? 0 });
    },
    heal: () => {
      rules.length = 0;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A body template with `{{name}}` placeholders replaced, as a vendor renders an administrator's
 * webhook body: each value JSON-escaped (the template quotes it), unknown placeholders empty.
 */
export function renderBodyTemplate(template: string, values: Readonly<Record<string, string | number | undefined>>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, name: string) => {
    const value = values[name];
    return value === undefined ? "" : JSON.stringify(String(value)).slice(1, -1);
  });
}
