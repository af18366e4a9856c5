import { pino } from "pino";
import type { AutotaskClient, AutotaskClientDeps } from "../../../src/adapters/ticketing/autotask/autotask-client.js";
import { createAutotaskClient } from "../../../src/adapters/ticketing/autotask/autotask-client.js";
import { type AutotaskConfig, autotaskConfigSchema } from "../../../src/adapters/ticketing/autotask/autotask-config.js";
import { FAKE_AUTOTASK_CREDENTIALS, startFakeAutotask, type FakeAutotask, type FakeAutotaskOptions } from "../../fakes/autotask/fake-autotask.js";
import { captureLogs } from "../../helpers/logs.js";

export const WEBHOOK_SECRET_KEY = "autotask-webhook-secret-key-0123456789";

/** Ticket 4242 for contact 501 (Jane), ticket 4243 with no contact, resource 29682885 (Terry Tech). */
export const SAMPLE: FakeAutotaskOptions = {
  tickets: [
    { id: 4242, ticketNumber: "T20261207.0001", title: "Password reset", contactID: 501 },
    { id: 4243, ticketNumber: "T20261207.0002", title: "Printer", contactID: null },
  ],
  contacts: [{ id: 501, firstName: "Jane", lastName: "Doe", emailAddress: "jane.doe@contoso.example" }],
  resources: [{ id: 29_682_885, firstName: "Terry", lastName: "Tech" }],
};

/** A parsed autotask config pointing at the fake's zone lookup; `overrides` are raw YAML-shaped values. */
export function autotaskConfig(fake: Pick<FakeAutotask, "discoveryUrl"> | null, overrides: Record<string, unknown> = {}): AutotaskConfig {
  return autotaskConfigSchema.parse({
    kind: "autotask",
    ...FAKE_AUTOTASK_CREDENTIALS,
    ...(fake === null ? {} : { zoneDiscoveryUrl: fake.discoveryUrl }),
    webhook: { secretKey: WEBHOOK_SECRET_KEY },
    timeoutMs: 3000,
    ...overrides,
  });
}

/** A client with fast retries and a real pino logger whose lines the test can read. */
export function autotaskClient(
  fake: FakeAutotask,
  overrides: Record<string, unknown> = {},
  retry: AutotaskClientDeps["retry"] = {},
): { client: AutotaskClient; logs: string[] } {
  const { stream, lines } = captureLogs();
  const client = createAutotaskClient(autotaskConfig(fake, overrides), { log: pino({ level: "debug" }, stream), retry: { baseDelayMs: 1, maxDelayMs: 5, ...retry } });
  return { client, logs: lines };
}

/** A fresh fake with SAMPLE data (plus `options`) and a client on it, closed together. */
export async function withAutotask(
  options: FakeAutotaskOptions,
  run: (fake: FakeAutotask, client: AutotaskClient, logs: string[]) => Promise<void>,
  overrides: Record<string, unknown> = {},
): Promise<void> {
  const fake = await startFakeAutotask({ ...SAMPLE, ...options });
  const { client, logs } = autotaskClient(fake, overrides);
  try {
    await run(fake, client, logs);
  } finally {
    await client.close();
    await fake.close();
  }
}

export { rejectsWith } from "../../helpers/rejects.js";
