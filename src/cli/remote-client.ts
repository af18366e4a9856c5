import { ERRORS, VerityError, type ErrorCode } from "../domain/errors.js";
import type { UserLookupView } from "../services/lookup.js";
import type { CheckView } from "../services/verification-engine.js";
import type { VerificationView } from "../services/views.js";
import type { VerityClient } from "./client.js";
import { CliExit, EXIT } from "./io.js";

/** A VerityClient over the HTTP API, with the bearer token of a technician or admin. */
export function createRemoteClient(baseUrl: string, token: string): VerityClient & { request<T>(method: string, path: string, body?: unknown): Promise<T> } {
  const base = baseUrl.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };

  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      throw new CliExit(EXIT.failure, `Cannot reach the Verity server at ${base}.`);
    }
    if (response.ok) return (await response.json()) as T;
    throw await apiError(response);
  };

  const get = (id: string) => request<VerificationView>("GET", `/api/v1/verifications/${encodeURIComponent(id)}`);

  return {
    request,
    start: (input) => request("POST", "/api/v1/verifications", input),
    get,
    check: (id, code) => request<CheckView>("POST", `/api/v1/verifications/${encodeURIComponent(id)}/check`, { code }),
    resend: (id) => request("POST", `/api/v1/verifications/${encodeURIComponent(id)}/resend`),
    cancel: (id, reason) =>
      request("POST", `/api/v1/verifications/${encodeURIComponent(id)}/cancel`, reason === null ? {} : { reason }),
    lookup: (query, tenant) =>
      request<UserLookupView>(
        "GET",
        `/api/v1/directory/users/${encodeURIComponent(query)}${tenant === undefined ? "" : `?tenant=${encodeURIComponent(tenant)}`}`,
      ),
    async watch(id, listener) {
      const controller = new AbortController();
      let closed = false;
      const pollFallback = async () => {
        while (!closed) {
          await new Promise((r) => setTimeout(r, 1000));
          if (closed) return;
          const view = await get(id).catch(() => undefined);
          if (view !== undefined) listener(view);
          if (view?.final === true) return;
        }
      };
      const response = await fetch(`${base}/api/v1/verifications/${encodeURIComponent(id)}/events`, {
        headers: { ...headers, accept: "text/event-stream" },
        signal: controller.signal,
      }).catch(() => undefined);
      if (response === undefined || !response.ok || response.body === null) {
        void pollFallback();
      } else {
        void readEvents(response.body, listener)
          .catch(() => undefined)
          .then(() => (closed ? undefined : pollFallback()));
      }
      return () => {
        closed = true;
        controller.abort();
      };
    },
    close: () => Promise.resolve(),
  };
}

async function readEvents(body: ReadableStream<Uint8Array>, listener: (view: VerificationView) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let split: number;
    while ((split = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (event === "state" && data !== "") listener(JSON.parse(data) as VerificationView);
    }
  }
}

async function apiError(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  const code = body.code !== undefined && body.code in ERRORS ? (body.code as ErrorCode) : undefined;
  if (code === undefined) return new CliExit(EXIT.failure, `The server answered ${response.status}.`);
  const retryAfter = response.headers.get("retry-after");
  return new VerityError(code, {
    message: body.message ?? ERRORS[code].message,
    ...(retryAfter === null ? {} : { retryAfterSeconds: Number(retryAfter) }),
  });
}
