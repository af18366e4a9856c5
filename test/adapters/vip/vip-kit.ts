import { pino } from "pino";
import { Agent, request } from "undici";
import { vipConfigSchema, type VipConfig } from "../../../src/adapters/push/vip/vip-config.js";
import { createVipPushProvider, type VipPushProvider } from "../../../src/adapters/push/vip/vip-push-provider.js";
import { envelope, VIP_NS } from "../../../src/adapters/push/vip/vip-requests.js";
import type { DirectoryUser, PasscodeRequest, PushRequest } from "../../../src/domain/ports.js";
import { startFakeVip, type FakeVip, type FakeVipOptions } from "../../fakes/vip/fake-vip.js";
import { createFakeClock, type FakeClock } from "../../helpers/clock.js";
import { captureLogs } from "../../helpers/logs.js";

export const USER: DirectoryUser = {
  id: "8f2c5a6e-0000-4000-8000-000000000001",
  upn: "jane.doe@acme.example",
  displayName: "Jane Doe",
  phones: [],
  emails: [],
  groups: [],
  privileged: false,
  providerIds: {},
  unusable: [],
  samAccountName: "jdoe",
};

export const pushRequest = (overrides: Partial<PushRequest> = {}): PushRequest => ({
  verificationId: "ver_vip_1",
  tenantId: "acme",
  user: USER,
  providerUserId: "jdoe",
  title: "Acme service desk",
  message: "Tom at the service desk is checking your identity (ticket 1042). Approve only if you are on a call with them now.",
  context: { organisation: "Acme", technician: "Tom", ticket: "1042" },
  timeoutSeconds: 120,
  ...overrides,
});

export const passcodeRequest = (passcode: string, providerUserId = "otp.only"): PasscodeRequest => ({
  verificationId: "ver_vip_2",
  tenantId: "acme",
  user: USER,
  providerUserId,
  passcode,
});

/** A parsed config for the fake: its URLs, the test VIP certificate, and its CA as `ca`. */
export function configFor(fake: FakeVip, overrides: Record<string, unknown> = {}): VipConfig {
  return vipConfigSchema.parse({
    kind: "vip",
    authUrl: fake.authUrl,
    queryUrl: fake.queryUrl,
    certificate: fake.pki.client.cert,
    privateKey: fake.pki.client.key,
    ca: fake.pki.ca.cert,
    timeoutMs: 3000,
    ...overrides,
  });
}

export interface VipKit {
  readonly fake: FakeVip;
  readonly logs: string[];
  readonly clock: FakeClock;
  /** A provider on the fake (closed with the kit). */
  provider(overrides?: Record<string, unknown>): VipPushProvider;
  close(): Promise<void>;
}

/** A fake VIP plus providers that talk to it over mutual TLS, logging into `logs`. */
export async function startVipKit(options: FakeVipOptions = {}): Promise<VipKit> {
  const fake = await startFakeVip(options);
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const clock = createFakeClock(new Date());
  const providers: VipPushProvider[] = [];
  return {
    fake,
    logs: lines,
    clock,
    provider(overrides = {}) {
      const provider = createVipPushProvider(configFor(fake, overrides), { name: "vip", clock, log });
      providers.push(provider);
      return provider;
    },
    async close() {
      await Promise.all(providers.map((p) => p.close()));
      await fake.close();
    },
  };
}

/** Posts a raw body to the fake with the accepted client certificate (for the fake's own tests). */
export async function postRaw(
  fake: FakeVip,
  path: string,
  body: string,
  headers: Record<string, string> = { "content-type": "text/xml; charset=utf-8", soapaction: '""' },
): Promise<{ status: number; text: string }> {
  const agent = new Agent({ connect: { cert: fake.pki.client.cert, key: fake.pki.client.key, ca: fake.pki.ca.cert } });
  try {
    const response = await request(`${fake.baseUrl}${path}`, { method: "POST", headers, body, dispatcher: agent });
    return { status: response.statusCode, text: await response.body.text() };
  } finally {
    await agent.close();
  }
}

/** A SOAP request with one VIP body element built from raw inner XML. */
export const vipEnvelope = (name: string, inner: string): string => envelope(`<${name} xmlns="${VIP_NS}">${inner}</${name}>`);

/** The text an error shows anywhere: its message plus its details. */
export const shown = (error: unknown): string =>
  error instanceof Error ? `${error.message} ${JSON.stringify((error as { details?: unknown }).details ?? null)}` : String(error);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the provider's connection with one harmless call, so a short timeout in a test then
 * measures VIP's answer rather than a TLS handshake on a busy machine.
 */
export async function warm(provider: VipPushProvider): Promise<void> {
  await provider.describeUser({ providerUserId: "jdoe", user: USER, tenantId: "acme" });
}
