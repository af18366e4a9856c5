import { pino } from "pino";
import { createZendeskClient, type ZendeskClientDeps } from "../../../src/adapters/ticketing/zendesk/zendesk-client.js";
import { zendeskConfigSchema, type ZendeskConfig } from "../../../src/adapters/ticketing/zendesk/zendesk-config.js";
import { createZendeskTicketing } from "../../../src/adapters/ticketing/zendesk/zendesk-ticketing.js";
import { startFakeZendesk, type FakeZendesk, type FakeZendeskOptions } from "../../fakes/zendesk/fake-zendesk.js";
import { captureLogs } from "../../helpers/logs.js";

export const SIGNING_SECRET = "zd-signing-secret-rV3nq8Qe2b1Kc0xYz";

/** A parsed config; `overrides` are raw YAML-shaped values. */
export function zdConfig(baseUrl: string, auth: Record<string, unknown>, overrides: Record<string, unknown> = {}): ZendeskConfig {
  return zendeskConfigSchema.parse({ kind: "zendesk", baseUrl, auth, webhook: { signingSecret: SIGNING_SECRET }, timeoutMs: 3000, ...overrides });
}

/** The fake's API-token credentials. */
export const tokenAuth = (fake: FakeZendesk) => ({ kind: "token", email: fake.agent.email, apiToken: fake.agent.apiToken });

/** A fake with Jane (ticket 4401, user 7001) and Sam (4402, 7002), and a client and system over it. */
export async function zdWorld(options: FakeZendeskOptions = {}, auth?: (fake: FakeZendesk) => Record<string, unknown>, retry: ZendeskClientDeps["retry"] = {}) {
  const fake = await startFakeZendesk({
    tickets: [
      { id: 4401, requester_id: 7001 },
      { id: 4402, requester_id: 7002 },
    ],
    users: [
      { id: 7001, name: "Jane Doe", email: "jane.doe@contoso.example", role: "end-user" },
      { id: 7002, name: "Sam Smith", email: "sam.smith@contoso.example", role: "end-user" },
    ],
    ...options,
  });
  const { stream, lines } = captureLogs();
  const client = createZendeskClient(zdConfig(fake.baseUrl, (auth ?? tokenAuth)(fake)), {
    log: pino({ level: "debug" }, stream),
    retry: { baseDelayMs: 1, maxDelayMs: 5, ...retry },
  });
  const system = createZendeskTicketing("desk", client);
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
