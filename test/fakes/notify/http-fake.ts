import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A local HTTP server for a fake vendor: every request's raw body read first, sockets tracked for closing. */
export async function startHttpFake(
  handler: (request: IncomingMessage, body: string, response: ServerResponse) => void,
): Promise<{ server: Server; origin: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => handler(request, Buffer.concat(chunks).toString("utf8"), response));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** How a fake misbehaves: answer normally, fail with a status, or drop the connection unanswered. */
export type FakeMode =
  | { readonly kind: "ok" }
  | { readonly kind: "status"; readonly status: number; readonly body?: string; readonly retryAfter?: string }
  | { readonly kind: "drop" }
  | { readonly kind: "hang" };

/** Answers per `mode`; true when it did (the caller then records nothing more). */
export function misbehave(mode: FakeMode, request: IncomingMessage, response: ServerResponse): boolean {
  if (mode.kind === "ok") return false;
  if (mode.kind === "drop") {
    request.socket.destroy();
    return true;
  }
  if (mode.kind === "hang") return true;
  response.writeHead(mode.status, { "content-type": "text/plain", ...(mode.retryAfter === undefined ? {} : { "retry-after": mode.retryAfter }) });
  response.end(mode.body ?? "");
  return true;
}
