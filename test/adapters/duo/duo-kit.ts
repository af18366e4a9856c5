import { pino } from "pino";
import { duoConfigSchema, type DuoConfig } from "../../../src/adapters/push/duo/duo-config.js";
import { createDuoPushProvider, type DuoPushProvider, type DuoPushProviderDeps } from "../../../src/adapters/push/duo/duo-push-provider.js";
import type { DirectoryUser, PushRequest } from "../../../src/domain/ports.js";
import { startFakeDuo, type FakeDuo, type FakeDuoOptions, type FakeDuoUser } from "../../fakes/duo/fake-duo.js";
import { captureLogs } from "../../helpers/logs.js";

/** The users most tests need, one per preauth result and device kind. */
export const USERS: readonly FakeDuoUser[] = [
  { username: "jdoe", caller: { action: "approve", afterMs: 150 }, passcodes: ["123456", "654321"] },
  { username: "bypassed", status: "allow" },
  { username: "locked", status: "deny" },
  { username: "newhire", status: "enroll" },
  {
    username: "tokenonly",
    devices: [{ device: "DHIQVVKRHSLYWBRO5K3V", type: "token", name: "", display_name: "Hardware token 9876", capabilities: [] }],
    passcodes: ["777111"],
  },
  {
    username: "vp",
    verifiedPush: true,
    caller: { action: "approve", afterMs: 100 },
    devices: [
      { device: "DPLANDLINE0000000001", type: "phone", display_name: "Landline (XXX-XXX-0199)", number: "XXX-XXX-0199", capabilities: ["phone"] },
      { device: "DPFZRS9FB0D46QFTM899", type: "phone", display_name: "iOS (XXX-XXX-0100)", number: "XXX-XXX-0100", capabilities: ["auto", "push", "mobile_otp"] },
    ],
  },
];

export const directoryUser = (overrides: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: "u-1",
  upn: "jane.doe@acme.example",
  displayName: "Jane Doe",
  phones: [],
  emails: [],
  groups: [],
  privileged: false,
  providerIds: {},
  unusable: [],
  ...overrides,
});

export const pushRequest = (overrides: Partial<PushRequest> = {}): PushRequest => ({
  verificationId: "ver_1",
  tenantId: "acme",
  user: directoryUser(),
  providerUserId: "jdoe",
  title: "Acme service desk",
  message: "Alice at the service desk is checking your identity (1042). Approve only if you are on a call with them now.",
  context: { organisation: "Acme Ltd", technician: "Alice Agent", ticket: "1042" },
  timeoutSeconds: 120,
  ...overrides,
});

/** A parsed duo config pointing at the fake; `overrides` are raw YAML-shaped values. */
export function duoConfig(fake: FakeDuo, overrides: Record<string, unknown> = {}): DuoConfig {
  return duoConfigSchema.parse({
    kind: "duo",
    apiHost: fake.apiHost,
    integrationKey: fake.integrationKey,
    secretKey: fake.secretKey,
    baseUrl: fake.baseUrl,
    timeoutMs: 2000,
    longPollTimeoutMs: 5000,
    ...overrides,
  });
}

export interface DuoKit {
  readonly fake: FakeDuo;
  readonly logs: string[];
  /** A provider on the fake with fast retries; closed with the kit. */
  provider(config?: Record<string, unknown>, deps?: Partial<DuoPushProviderDeps>): DuoPushProvider;
  close(): Promise<void>;
}

/** A fake Duo with the standard users plus providers that talk to it, logging into `logs`. */
export async function startDuoKit(options: FakeDuoOptions = {}): Promise<DuoKit> {
  const fake = await startFakeDuo({ users: USERS, holdMs: 1500, ...options });
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const providers: DuoPushProvider[] = [];
  return {
    fake,
    logs: lines,
    provider(config = {}, deps = {}) {
      const provider = createDuoPushProvider(duoConfig(fake, config), {
        name: "duo",
        clock: { now: () => new Date() },
        log,
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        ...deps,
      });
      providers.push(provider);
      return provider;
    },
    async close() {
      await fake.close();
      await Promise.all(providers.map((p) => p.close()));
    },
  };
}

export { rejectsWith } from "../../helpers/rejects.js";
