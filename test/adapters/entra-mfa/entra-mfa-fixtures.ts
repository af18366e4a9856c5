import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { entraMfaConfigSchema, type EntraMfaConfig } from "../../../src/adapters/push/entra-mfa/entra-mfa-config.js";
import { createEntraMfaPushProvider, type EntraMfaPushDeps, type EntraMfaPushProvider } from "../../../src/adapters/push/entra-mfa/entra-mfa-push.js";
import { systemClock, type Clock, type DirectoryUser, type PushRequest, type PushStatus } from "../../../src/domain/ports.js";
import { testCertificate } from "../../fakes/entra/test-certificate.js";
import { startFakeEntraMfa, type FakeEntraMfa, type FakeEntraMfaOptions } from "../../fakes/entra-mfa/fake-entra-mfa.js";
import { createFakeClock, type FakeClock } from "../../helpers/clock.js";
import { captureLogs } from "../../helpers/logs.js";

export const CONTOSO = "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a";
export const FABRIKAM = "7c9d1e2f-3a4b-4c5d-8e6f-708192a3b4c5";
export const NORTHWIND = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
export const TAILSPIN = "0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b";

export const SECRET = "mfa~short-lived-secret-value-do-not-log";
export const EXPIRED_SECRET = "mfa~expired-secret-value";
export const PASSCODE = "123456";
export const TRICKY_UPN = "o'brien&<sales>\"q\"@contoso.example";

/** The registered certificate (on Contoso's and Fabrikam's MFA client) and one nobody registered. */
export const registered = () => testCertificate("verity-mfa-registered");
export const unregistered = () => testCertificate("verity-mfa-unregistered");

const DAY = 86_400_000;

/** Tenants, users and their scripted phones, relative to `clock`. */
export function seed(clock: Clock): FakeEntraMfaOptions {
  const now = clock.now().getTime();
  return {
    clock,
    tenants: [
      {
        id: CONTOSO,
        displayName: "Contoso",
        domains: ["contoso.example"],
        mfaClient: {
          certificates: [registered().certificate],
          secrets: [
            { value: SECRET, expiresAt: new Date(now + DAY) },
            { value: EXPIRED_SECRET, expiresAt: new Date(now - 60_000) },
          ],
        },
        users: [
          { upn: "jane.doe@contoso.example", caller: { action: "approve", afterMs: 2000 }, passcode: PASSCODE },
          { upn: "sam@contoso.example", caller: { action: "deny", afterMs: 1000 } },
          { upn: "mallory@contoso.example", caller: { action: "fraud", afterMs: 1000 } },
          { upn: "quiet@contoso.example", caller: { action: "ignore" } },
          { upn: "nodefault@contoso.example", methods: ["PhoneAppNotification"], defaultMethod: null },
          { upn: "smsonly@contoso.example", methods: ["OneWaySMS"] },
          { upn: "throttled@contoso.example", beginResult: "AuthenticationThrottled" },
          { upn: "matcher@contoso.example", entropy: 42, caller: { action: "approve", afterMs: 500 } },
          { upn: TRICKY_UPN, caller: { action: "approve" } },
        ],
      },
      {
        id: FABRIKAM,
        displayName: "Fabrikam",
        domains: ["fabrikam.example"],
        mfaClient: { certificates: [registered().certificate] },
        users: [{ upn: "fabi@fabrikam.example", caller: { action: "approve" } }],
      },
      { id: NORTHWIND, displayName: "Northwind", domains: ["northwind.example"], mfaClient: null },
      {
        id: TAILSPIN,
        displayName: "Tailspin",
        domains: ["tailspin.example"],
        blocked: true,
        mfaClient: { certificates: [registered().certificate] },
        users: [{ upn: "t@tailspin.example" }],
      },
    ],
  };
}

export interface Harness {
  readonly fake: FakeEntraMfa;
  readonly clock: FakeClock | Clock;
  readonly logs: string[];
  config(overrides?: Record<string, unknown>): EntraMfaConfig;
  provider(overrides?: Record<string, unknown>, deps?: Partial<EntraMfaPushDeps>): EntraMfaPushProvider;
  close(): Promise<void>;
}

/**
 * The fake connector and providers configured against it (closed with the harness). With
 * `realTime` the fake and the providers share the system clock, so scripted callers answer after
 * real milliseconds; otherwise they share a fake clock that tests advance.
 */
export async function startHarness(options: { realTime?: boolean; fake?: Partial<FakeEntraMfaOptions> } = {}): Promise<Harness & { clock: FakeClock }> {
  const clock: FakeClock = options.realTime === true ? { now: () => systemClock.now(), advance() {}, set() {} } : createFakeClock();
  const fake = await startFakeEntraMfa({ ...seed(clock), ...options.fake });
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const opened: EntraMfaPushProvider[] = [];
  const config = (overrides: Record<string, unknown> = {}) =>
    entraMfaConfigSchema.parse({
      kind: "entra",
      tenantId: CONTOSO,
      credential: { kind: "certificate", privateKey: registered().privateKey, certificate: registered().certificate },
      loginUrl: fake.loginUrl,
      connectorUrl: fake.connectorUrl,
      passcodeConnectorUrl: fake.passcodeConnectorUrl,
      timeoutMs: 2000,
      ...overrides,
    });
  return {
    fake,
    clock,
    logs: lines,
    config,
    provider(overrides, deps) {
      const provider = createEntraMfaPushProvider(config(overrides), { name: "contoso-authenticator", clock, log, ...deps });
      opened.push(provider);
      return provider;
    },
    async close() {
      await Promise.all(opened.map((p) => p.close()));
      await fake.close();
    },
  };
}

/** A directory user for `upn` (the connector needs only the provider user id). */
export function userOf(upn: string): DirectoryUser {
  return { id: `${CONTOSO}:11111111-1111-4111-8111-111111111111`, upn, displayName: upn.split("@")[0] ?? upn, phones: [], emails: [], groups: [], privileged: false, providerIds: {}, unusable: [] };
}

export function pushRequest(upn: string, timeoutSeconds = 120): PushRequest {
  return {
    verificationId: "0b7c2f5e-0000-4000-8000-000000000001",
    tenantId: "contoso",
    user: userOf(upn),
    providerUserId: upn,
    title: "Contoso IT",
    message: "Approve to confirm you are on the phone with the service desk.",
    context: { organisation: "Contoso", technician: "Alex", ticket: "1042" },
    timeoutSeconds,
  };
}

/** Polls as the engine would, every `pollIntervalMs`, until an answer or `limitMs` of real time. */
export async function pollUntilAnswered(provider: EntraMfaPushProvider, ref: string, limitMs = 5000): Promise<{ status: PushStatus; polls: number }> {
  const deadline = Date.now() + limitMs;
  for (let polls = 1; ; polls += 1) {
    const status = await provider.pollPush(ref);
    if (status.outcome !== "waiting" || Date.now() > deadline) return { status, polls };
    await sleep(provider.pollIntervalMs ?? 750);
  }
}

/** The error a promise rejects with, with its registry code. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; retryable: boolean; retryAfterSeconds?: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; message: string; retryable?: boolean; retryAfterSeconds?: number };
    return { code: e.code ?? "none", message: e.message, retryable: e.retryable === true, retryAfterSeconds: e.retryAfterSeconds };
  }
  throw new Error("expected the call to fail");
}

/** Waits (real time) until `predicate` holds. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}
