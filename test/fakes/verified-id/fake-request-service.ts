import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createSimulatedRequestService,
  type SimulatedRequestService,
} from "../../../src/adapters/verified-id/simulated-request-service.js";
import type { Clock } from "../../../src/domain/ports.js";

/**
 * Microsoft Entra Verified ID for tests: the token endpoint and the Request Service of one tenant
 * on 127.0.0.1, with the wallet's controls (retrieve, present, fail) that POST the documented
 * callbacks to the callback URL of each request, with the headers it asked for.
 */
export interface FakeVerifiedId extends SimulatedRequestService {
  /** Use as both loginUrl and requestServiceUrl. */
  readonly url: string;
  /** Requests seen, by path, in order (method and path only). */
  readonly calls: readonly string[];
}

export const FAKE_TENANT = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
export const FAKE_CLIENT = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b";
export const FAKE_SECRET = "vid-app-Secret~value.42";

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export async function startFakeVerifiedId(options: { readonly clock: Clock; readonly requestLifetimeSeconds?: number }): Promise<FakeVerifiedId> {
  const calls: string[] = [];
  const holder: { service?: SimulatedRequestService } = {};
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      calls.push(`${request.method ?? ""} ${request.url ?? ""}`);
      if (holder.service === undefined) return void response.writeHead(503).end();
      const answer = holder.service.handle({ method: request.method ?? "GET", path: request.url ?? "/", headers: request.headers, body });
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const simulated = createSimulatedRequestService({
    tenantId: FAKE_TENANT,
    clientId: FAKE_CLIENT,
    clientSecret: FAKE_SECRET,
    baseUrl: url,
    clock: options.clock,
    ...(options.requestLifetimeSeconds === undefined ? {} : { requestLifetimeSeconds: options.requestLifetimeSeconds }),
  });
  holder.service = simulated;
  return {
    url,
    calls,
    handle: simulated.handle,
    requests: simulated.requests,
    request: simulated.request,
    get tokensIssued() {
      return simulated.tokensIssued;
    },
    failNext: simulated.failNext,
    retrieve: simulated.retrieve,
    present: simulated.present,
    fail: simulated.fail,
    sendRaw: simulated.sendRaw,
    async close() {
      await simulated.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A callback receiver on 127.0.0.1 that records what the fake's wallet actions POST. */
export interface CallbackSink {
  readonly url: string;
  readonly received: { readonly headers: IncomingMessage["headers"]; readonly body: unknown }[];
  /** What the sink answers (Verity answers 200 to a taken callback). */
  status: number;
  close(): Promise<void>;
}

export async function startCallbackSink(): Promise<CallbackSink> {
  const received: CallbackSink["received"] = [];
  const sink = { status: 200 };
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      received.push({ headers: request.headers, body: JSON.parse(body) as unknown });
      response.writeHead(sink.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/verified-id`;
  return Object.assign(sink, {
    url,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
