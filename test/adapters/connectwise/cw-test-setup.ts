import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import type { ConnectWiseClient } from "../../../src/adapters/ticketing/connectwise/connectwise-client.js";
import { createConnectWiseClient } from "../../../src/adapters/ticketing/connectwise/connectwise-client.js";
import { type ConnectWiseConfig, connectwiseConfigSchema } from "../../../src/adapters/ticketing/connectwise/connectwise-config.js";
import type { TriggerRequest } from "../../../src/domain/ports.js";
import type { SignedCallback } from "../../fakes/connectwise/connectwise-callbacks.js";
import type { FakeConnectWise } from "../../fakes/connectwise/fake-connectwise.js";
import { captureLogs } from "../../helpers/logs.js";

type FakeCreds = Pick<FakeConnectWise, "apiUrl" | "origin" | "companyId" | "publicKey" | "privateKey" | "clientId">;

/** A parsed connectwise config pointing at the fake; `overrides` are raw YAML-shaped values. */
export function cwConfig(fake: FakeCreds, overrides: Record<string, unknown> = {}): ConnectWiseConfig {
  return connectwiseConfigSchema.parse({
    kind: "connectwise",
    apiUrl: fake.apiUrl,
    companyId: fake.companyId,
    publicKey: fake.publicKey,
    privateKey: fake.privateKey,
    clientId: fake.clientId,
    callback: { keyOrigins: [fake.origin] },
    timeoutMs: 3000,
    ...overrides,
  });
}

/** A client with fast retries and a logger whose lines the test can read. */
export function cwClient(fake: FakeCreds, overrides: Record<string, unknown> = {}): { client: ConnectWiseClient; logs: string[] } {
  const { stream, lines } = captureLogs();
  const client = createConnectWiseClient(cwConfig(fake, overrides), { log: pino({ level: "debug" }, stream), retry: { baseDelayMs: 1, maxDelayMs: 5 } });
  return { client, logs: lines };
}

export { rejectsWith } from "../../helpers/rejects.js";

/** A server that only counts hits: a key_url pointing at it must never be fetched. */
export async function countingServer(host: string): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_request, response) => {
    hits += 1;
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ signing_key: "attacker-key" }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

/** A callback as the hook route hands it to the trigger (signature header and `recordId` as ConnectWise sends them). */
export const request = (callback: SignedCallback, headers: Record<string, string | string[]> = { "x-content-signature": callback.signature }, query: Record<string, string> = { recordId: callback.recordId }): TriggerRequest => ({
  headers: { "content-type": "application/json", ...headers },
  rawBody: Buffer.from(callback.body, "utf8"),
  query,
  ip: "127.0.0.1",
  receivedAt: new Date("2026-12-07T01:00:00Z"),
});
