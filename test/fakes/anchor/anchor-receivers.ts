import { createSocket } from "node:dgram";
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { verifyStandardWebhook } from "../../../src/adapters/http/standard-webhooks.js";

/**
 * Receivers of audit anchors, as real local servers: a Standard Webhooks endpoint that checks
 * signatures the way a receiver must, and syslog collectors over UDP and TCP (octet counting).
 */

export interface WebhookDelivery {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** Whether the Standard Webhooks signature verified against the receiver's secret. */
  readonly signatureValid: boolean;
}

export async function startWebhookReceiver(secret: string): Promise<{
  url: string;
  deliveries: WebhookDelivery[];
  /** "ok" answers 204; "fail" answers 500 without keeping the body. */
  setMode(mode: "ok" | "fail"): void;
  attempts(): number;
  close(): Promise<void>;
}> {
  const deliveries: WebhookDelivery[] = [];
  let mode: "ok" | "fail" = "ok";
  let attempts = 0;
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      attempts += 1;
      if (mode === "fail") return response.writeHead(500).end("down");
      const body = Buffer.concat(chunks).toString("utf8");
      const signatureValid = verifyStandardWebhook({ secret, headers: request.headers, body, nowSeconds: Date.now() / 1000 });
      deliveries.push({ headers: request.headers, body, signatureValid });
      response.writeHead(signatureValid ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/anchors?token=query-secret`,
    deliveries,
    setMode: (m) => (mode = m),
    attempts: () => attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startUdpSyslog(): Promise<{ port: number; messages: string[]; close(): Promise<void> }> {
  const messages: string[] = [];
  const socket = createSocket("udp4");
  socket.on("message", (m) => messages.push(m.toString("utf8")));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, messages, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** Parses RFC 6587 octet-counted frames (`LEN SP MSG`), as a collector does, and records each MSG. */
export async function startTcpSyslog(): Promise<{ port: number; messages: string[]; close(): Promise<void> }> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) return;
        const length = Number(buffer.subarray(0, space).toString("ascii"));
        if (!Number.isInteger(length) || length <= 0) throw new Error("not octet-counted framing");
        if (buffer.length < space + 1 + length) return;
        messages.push(buffer.subarray(space + 1, space + 1 + length).toString("utf8"));
        buffer = buffer.subarray(space + 1 + length);
      }
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
