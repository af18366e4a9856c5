import { generateKeyPairSync } from "node:crypto";
import { pino } from "pino";
import { oktaConfigSchema, type OktaConfig } from "../../../src/adapters/push/okta/okta-config.js";
import { createOktaPushProvider, type OktaPushProvider } from "../../../src/adapters/push/okta/okta-push-provider.js";
import { systemClock, type Clock, type DirectoryUser, type PushRequest, type PushStatus } from "../../../src/domain/ports.js";
import { startFakeOkta, type FakeOkta, type FakeOktaOptions, type FakeOktaUserInput } from "../../fakes/okta/fake-okta.js";
import { captureLogs } from "../../helpers/logs.js";

export const JANE = "jane.doe@acme.example";
export const SAM = "sam.patel@acme.example";
export const ALEX = "alex.kim@acme.example";
export const PAT = "pat.lee@acme.example";
export const GINA = "gina.rossi@acme.example";
export const SUE = "sue.grant@acme.example";
export const JANE_PASSCODE = "246810";
export const GINA_PASSCODE = "135790";

/** Users covering each describeUser case: push+TOTP, push only, neither, pending push, Google TOTP, suspended. */
export const OKTA_USERS: readonly FakeOktaUserInput[] = [
  {
    login: JANE,
    firstName: "Jane",
    lastName: "Doe",
    factors: [
      { factorType: "push", profile: { credentialId: JANE, deviceType: "SmartPhone_IPhone", name: "Jane's iPhone", platform: "IOS", version: "17.4" } },
      { factorType: "token:software:totp", profile: { credentialId: JANE }, passCode: JANE_PASSCODE },
      { factorType: "sms", profile: { phoneNumber: "+14155550123" } },
    ],
  },
  { login: SAM, factors: [{ factorType: "push", profile: { name: "Pixel 8", platform: "ANDROID" } }] },
  { login: ALEX, factors: [{ factorType: "sms", profile: { phoneNumber: "+14155550456" } }, { factorType: "question" }] },
  { login: PAT, factors: [{ factorType: "push", status: "PENDING_ACTIVATION" }] },
  { login: GINA, factors: [{ factorType: "token:software:totp", provider: "GOOGLE", passCode: GINA_PASSCODE }] },
  { login: SUE, status: "SUSPENDED", factors: [{ factorType: "push", profile: { name: "Sue's phone", platform: "IOS" } }] },
];

const keyPairs = new Map<string, { privateKey: string; publicKey: string }>();

/** A throwaway key pair (PEM), memoised per name within a test process. */
export function testKeyPair(name = "verity", type: "rsa" | "ec" = "rsa"): { privateKey: string; publicKey: string } {
  const key = `${type}:${name}`;
  const existing = keyPairs.get(key);
  if (existing !== undefined) return existing;
  const pair = type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = { privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: pair.publicKey.export({ type: "spki", format: "pem" }).toString() };
  keyPairs.set(key, pem);
  return pem;
}

export const CLIENT_ID = "0oaVerityServiceApp1";

/** A directory entry for a UPN, as the engine would pass it. */
export function directoryUser(upn: string, displayName = upn.split("@")[0] ?? upn): DirectoryUser {
  return { id: `dir-${upn}`, upn, displayName, phones: [], emails: [], groups: [], privileged: false, providerIds: {}, unusable: [] };
}

export function pushRequest(providerUserId: string, overrides: Partial<PushRequest> = {}): PushRequest {
  return {
    verificationId: "ver_okta_1",
    tenantId: "acme",
    user: directoryUser(providerUserId),
    providerUserId,
    title: "Acme service desk",
    message: "Approve only if you are on the phone with the Acme service desk.",
    context: { organisation: "Acme", technician: "Tess Tech", ticket: "1042" },
    timeoutSeconds: 120,
    ...overrides,
  };
}

export interface OktaKit {
  readonly fake: FakeOkta;
  readonly logs: string[];
  /** A provider on the fake (SSWS with the fake's token unless `config` says otherwise); closed with the kit. */
  provider(config?: Record<string, unknown>, clock?: Clock): OktaPushProvider;
  /** The config a provider gets: the fake's org URL and API token, plus `overrides`. */
  config(overrides?: Record<string, unknown>): OktaConfig;
  /** OAuth settings for the kit's service app (RSA key `verity`, kid `verity-1`). */
  oauth(overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** A fake Okta org with OKTA_USERS and one service app, plus providers that talk to it. */
export async function startOktaKit(options: FakeOktaOptions = {}): Promise<OktaKit> {
  const fake = await startFakeOkta({
    users: OKTA_USERS,
    serviceApps: [{ clientId: CLIENT_ID, publicKeys: [{ kid: "verity-1", pem: testKeyPair().publicKey }], scopes: ["okta.users.read", "okta.users.manage"] }],
    ...options,
  });
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const providers: OktaPushProvider[] = [];
  const config = (overrides: Record<string, unknown> = {}) =>
    oktaConfigSchema.parse({ kind: "okta", orgUrl: fake.baseUrl, auth: { kind: "ssws", token: fake.apiToken }, timeoutMs: 1000, ...overrides });
  return {
    fake,
    logs: lines,
    config,
    oauth: (overrides = {}) => ({ kind: "oauth", clientId: CLIENT_ID, privateKey: testKeyPair().privateKey, keyId: "verity-1", ...overrides }),
    provider(overrides = {}, clock = systemClock) {
      const provider = createOktaPushProvider(config(overrides), { name: "okta", clock, log });
      providers.push(provider);
      return provider;
    },
    async close() {
      await Promise.all(providers.map((p) => p.close()));
      await fake.close();
    },
  };
}

/** Polls like the engine does (at `intervalMs`) until the push is no longer waiting. */
export async function pollUntilAnswered(provider: OktaPushProvider, ref: string, intervalMs = 20, maxPolls = 200): Promise<PushStatus> {
  for (let i = 0; i < maxPolls; i += 1) {
    const status = await provider.pollPush(ref);
    if (status.outcome !== "waiting") return status;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`the push was still waiting after ${maxPolls} polls`);
}

/** The text an error shows anywhere: its code, message and details. */
export const shown = (error: unknown): string =>
  error instanceof Error ? `${(error as { code?: string }).code ?? ""} ${error.message} ${JSON.stringify((error as { details?: unknown }).details ?? null)}` : String(error);
