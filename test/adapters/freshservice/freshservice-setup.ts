import { pino } from "pino";
import { createFreshserviceClient, type FreshserviceClientDeps } from "../../../src/adapters/ticketing/freshservice/freshservice-client.js";
import { freshserviceConfigSchema, type FreshserviceConfig } from "../../../src/adapters/ticketing/freshservice/freshservice-config.js";
import { createFreshserviceTicketing } from "../../../src/adapters/ticketing/freshservice/freshservice-ticketing.js";
import { startFakeFreshservice, type FakeFreshserviceOptions } from "../../fakes/freshservice/fake-freshservice.js";
import { captureLogs } from "../../helpers/logs.js";

export const WEBHOOK_TOKEN = "fs-webhook-token-0123456789abcdef";

/** A parsed config for `baseUrl`; `overrides` are raw YAML-shaped values. */
export function fsConfig(baseUrl: string, apiKey: string, overrides: Record<string, unknown> = {}): FreshserviceConfig {
  return freshserviceConfigSchema.parse({
    kind: "freshservice",
    baseUrl,
    apiKey,
    webhook: { kind: "token", token: WEBHOOK_TOKEN },
    timeoutMs: 3000,
    ...overrides,
  });
}

/** A fake with Jane (ticket 301, requester 11001) and Sam (302, 11002), and a client and system over it. */
export async function fsWorld(options: FakeFreshserviceOptions = {}, overrides: Record<string, unknown> = {}, retry: FreshserviceClientDeps["retry"] = {}) {
  const fake = await startFakeFreshservice({
    tickets: [
      { id: 301, requester_id: 11_001 },
      { id: 302, requester_id: 11_002 },
    ],
    requesters: [
      { id: 11_001, first_name: "Jane", last_name: "Doe", primary_email: "jane.doe@contoso.example" },
      { id: 11_002, first_name: "Sam", last_name: "Smith", primary_email: "sam.smith@contoso.example" },
    ],
    ...options,
  });
  const { stream, lines } = captureLogs();
  const client = createFreshserviceClient(fsConfig(fake.baseUrl, fake.apiKey, overrides), {
    log: pino({ level: "debug" }, stream),
    retry: { baseDelayMs: 1, maxDelayMs: 5, ...retry },
  });
  const system = createFreshserviceTicketing("desk", client);
  return {
    fake,
    client,
    system,
    logs: lines,
    close: async () => {
      await client.close();
      await fake.close();
    },
  };
}

export { rejectsWith } from "../../helpers/rejects.js";
