import { pino } from "pino";
import type { SnowClient, SnowClientDeps } from "../../../src/adapters/ticketing/servicenow/servicenow-client.js";
import { createSnowClient } from "../../../src/adapters/ticketing/servicenow/servicenow-client.js";
import { type SnowConfig, snowConfigSchema } from "../../../src/adapters/ticketing/servicenow/servicenow-config.js";
import type { Clock } from "../../../src/domain/ports.js";
import { CALLERS, type CallerKey } from "../../e2e/ticketing/world.js";
import type { FakeSnow, FakeSnowRecord } from "../../fakes/servicenow/fake-servicenow.js";
import { captureLogs } from "../../helpers/logs.js";

export const SNOW_USER = { username: "verity.integration", password: "integration-password-0123" };
export const SNOW_OAUTH = { clientId: "verity-oauth-client", clientSecret: "verity-oauth-secret-0123456789" };
/** 32 bytes, base64, after whsec_. */
export const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 42).toString("base64")}`;

/** A sys_id made from a readable seed, so tests can name records. */
export const sysId = (seed: string): string => Buffer.from(seed.padEnd(16, "_").slice(0, 16), "utf8").toString("hex");

export const USERS: Record<CallerKey | "agent", FakeSnowRecord> = {
  jane: { sys_id: sysId("user-jane"), user_name: "jane.doe", name: CALLERS.jane.name, email: CALLERS.jane.upn },
  sam: { sys_id: sysId("user-sam"), user_name: "sam.smith", name: CALLERS.sam.name, email: CALLERS.sam.upn },
  priya: { sys_id: sysId("user-priya"), user_name: "priya.patel", name: CALLERS.priya.name, email: CALLERS.priya.upn },
  agent: { sys_id: sysId("user-beth"), user_name: "beth.anglin", name: "Beth Anglin", email: "beth.anglin@msp.example" },
};

/**
 * Tickets for the shared callers: incidents whose caller_id is the caller, or (for a number
 * starting SCTASK) a catalog task whose requested item's requested_for is the caller.
 */
export function snowWorld(tickets: Readonly<Record<CallerKey, string>>): Record<string, FakeSnowRecord[]> {
  const tables: Record<string, FakeSnowRecord[]> = { incident: [], sc_task: [], sc_req_item: [], sys_user: Object.values(USERS) };
  for (const [who, number] of Object.entries(tickets) as [CallerKey, string][]) {
    const user = USERS[who].sys_id as string;
    if (number.startsWith("SCTASK")) {
      const ritm = sysId(`ritm-${who}`);
      tables.sc_req_item?.push({ sys_id: ritm, number: number.replace("SCTASK", "RITM"), requested_for: user, opened_by: USERS.agent.sys_id as string });
      tables.sc_task?.push({ sys_id: sysId(`task-${who}`), number, request_item: ritm, short_description: `Access for ${who}`, work_notes: "", comments: "" });
    } else {
      tables.incident?.push({ sys_id: sysId(`inc-${who}`), number, caller_id: user, short_description: `Reset for ${who}`, work_notes: "", comments: "" });
    }
  }
  return tables;
}

/** A parsed servicenow config pointing at the fake; `overrides` are raw YAML-shaped values. */
export function snowConfig(fake: Pick<FakeSnow, "instanceUrl">, overrides: Record<string, unknown> = {}): SnowConfig {
  return snowConfigSchema.parse({
    kind: "servicenow",
    instanceUrl: fake.instanceUrl,
    auth: { kind: "basic", ...SNOW_USER },
    webhook: { kind: "standard-webhooks", secret: WEBHOOK_SECRET },
    timeoutMs: 3000,
    ...overrides,
  });
}

/** A client with fast retries and a logger whose lines the test can read. */
export function snowClient(
  fake: Pick<FakeSnow, "instanceUrl">,
  overrides: Record<string, unknown> = {},
  clock: Clock = { now: () => new Date() },
  extra: Partial<SnowClientDeps> = {},
): { client: SnowClient; config: SnowConfig; logs: string[] } {
  const { stream, lines } = captureLogs();
  const config = snowConfig(fake, overrides);
  const client = createSnowClient(config, { clock, log: pino({ level: "debug" }, stream), retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
  return { client, config, logs: lines };
}

export { rejectsWith } from "../../helpers/rejects.js";
