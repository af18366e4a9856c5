import { pino } from "pino";
import { createJsmClient, type JsmClient, type JsmClientDeps } from "../../../src/adapters/ticketing/jira/jira-client.js";
import { type JsmConfig, jsmConfigSchema } from "../../../src/adapters/ticketing/jira/jira-config.js";
import type { FakeJira, FakeJiraUser } from "../../fakes/jira/fake-jira.js";
import { captureLogs } from "../../helpers/logs.js";

export const WEBHOOK_SECRET = "jsm-automation-secret-0123456789abcdef";

export const REPORTERS: readonly FakeJiraUser[] = [
  { accountId: "qm:1111-jane", displayName: "Jane Doe", emailAddress: "jane.doe@contoso.example", accountType: "customer" },
  { accountId: "qm:2222-sam", displayName: "Sam Smith", emailAddress: "sam.smith@contoso.example", accountType: "customer", emailVisible: false },
  { accountId: "712020:tech-tess", displayName: "Tess Technician", emailAddress: "tess@msp.example" },
];

export const REQUESTS = [
  { issueId: "10101", issueKey: "ITS-101", summary: "Password reset", reporter: "qm:1111-jane" },
  { issueId: "10102", issueKey: "ITS-102", summary: "MFA reset", reporter: "qm:2222-sam" },
] as const;

/** A parsed config pointing at the fake; `overrides` are raw YAML-shaped values. */
export function jsmConfig(fake: Pick<FakeJira, "siteUrl" | "email" | "apiToken">, overrides: Record<string, unknown> = {}): JsmConfig {
  return jsmConfigSchema.parse({
    kind: "jira-service-management",
    siteUrl: fake.siteUrl,
    auth: { kind: "basic", email: fake.email, apiToken: fake.apiToken },
    webhook: { kind: "token", header: "x-verity-secret", token: WEBHOOK_SECRET },
    timeoutMs: 3000,
    ...overrides,
  });
}

/** A client with fast backoff and a logger whose lines the test can read. */
export function jsmClient(fake: Pick<FakeJira, "siteUrl" | "email" | "apiToken">, overrides: Record<string, unknown> = {}, retry: JsmClientDeps["retry"] = {}): { client: JsmClient; logs: string[] } {
  const { stream, lines } = captureLogs();
  const client = createJsmClient(jsmConfig(fake, overrides), { log: pino({ level: "debug" }, stream), retry: { baseDelayMs: 1, maxDelayMs: 5, ...retry } });
  return { client, logs: lines };
}

export { rejectsWith } from "../../helpers/rejects.js";
