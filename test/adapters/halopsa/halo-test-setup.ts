import { pino } from "pino";
import type { HaloClient, HaloClientDeps } from "../../../src/adapters/ticketing/halopsa/halopsa-client.js";
import { createHaloClient } from "../../../src/adapters/ticketing/halopsa/halopsa-client.js";
import { type HaloConfig, haloConfigSchema } from "../../../src/adapters/ticketing/halopsa/halopsa-config.js";
import type { Clock } from "../../../src/domain/ports.js";
import type { FakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { captureLogs } from "../../helpers/logs.js";

export const CLIENT_SECRET = "verity-secret-0123456789";
export const WEBHOOK_PASSWORD = "webhook-password-0123456789abcdef";

/** A parsed halopsa config pointing at the fake; `overrides` are raw YAML-shaped values. */
export function haloConfig(fake: Pick<FakeHalo, "authUrl" | "apiUrl">, overrides: Record<string, unknown> = {}): HaloConfig {
  return haloConfigSchema.parse({
    kind: "halopsa",
    authUrl: fake.authUrl,
    apiUrl: fake.apiUrl,
    clientId: "verity-client",
    clientSecret: CLIENT_SECRET,
    webhook: { kind: "basic", username: "halo", password: WEBHOOK_PASSWORD },
    timeoutMs: 3000,
    ...overrides,
  });
}

/** A client with fast retries (hang tests pass a short `timeoutMs` in `overrides`) and a real pino logger whose lines the test can read. */
export function haloClient(
  fake: Pick<FakeHalo, "authUrl" | "apiUrl">,
  overrides: Record<string, unknown> = {},
  clock: Clock = { now: () => new Date() },
  retry: HaloClientDeps["retry"] = {},
): { client: HaloClient; logs: string[] } {
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const client = createHaloClient(haloConfig(fake, overrides), { clock, log, retry: { baseDelayMs: 1, maxDelayMs: 5, ...retry } });
  return { client, logs: lines };
}

export { rejectsWith } from "../../helpers/rejects.js";
