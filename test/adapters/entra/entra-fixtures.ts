import { pino } from "pino";
import type { DirectoryUser } from "../../../src/domain/ports.js";
import { entraDirectoryConfigSchema, type EntraDirectoryConfig } from "../../../src/adapters/directory/entra/entra-config.js";
import { createEntraDirectory, type EntraDirectory } from "../../../src/adapters/directory/entra/entra-directory.js";
import { startFakeEntra, type FakeEntra, type FakeEntraOptions } from "../../fakes/entra/fake-entra.js";
import { testCertificate } from "../../fakes/entra/test-certificate.js";
import { createFakeClock, type FakeClock } from "../../helpers/clock.js";
import { captureLogs } from "../../helpers/logs.js";

export const CONTOSO = "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a";
export const FABRIKAM = "7c9d1e2f-3a4b-4c5d-8e6f-708192a3b4c5";
export const NORTHWIND = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
export const TAILSPIN = "0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b";
export const AGENCY = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

export const APP_ID = "4d6c2a1b-9e8f-4a7b-b6c5-d4e3f2a1b0c9";
export const NARROW_APP_ID = "9a8b7c6d-5e4f-4a3b-a2c1-d0e9f8a7b6c5";
export const SECRET = "Q7x8Q~verity-test-secret-value-do-not-log";
export const SECRET_ID = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901";
export const EXPIRED_SECRET = "Z1y2Z~expired-secret-value";

export const USERS = {
  jane: "11111111-1111-4111-8111-111111111111",
  sam: "22222222-2222-4222-8222-222222222222",
  obrien: "33333333-3333-4333-8333-333333333333",
  guest: "44444444-4444-4444-8444-444444444444",
  alex: "55555555-5555-4555-8555-555555555555",
  dana: "66666666-6666-4666-8666-666666666666",
  fabi: "77777777-7777-4777-8777-777777777777",
  danaWhite: "88888888-8888-4888-8888-888888888888",
};

export const GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10";
export const HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
export const REPORTS_READER = "4a5d8f65-41da-4de4-8968-e035b65339cf";

/** Every number seeded in the fake, to prove none leaks into messages, signals or logs. */
export const SEEDED_NUMBERS = ["4255550101", "7700900123", "4255550199", "2065550142", "5555551234", "4255550177", "4255550188"];

/** What the docs ask administrators to grant (docs/integrations/entra.md, section 2). */
export const ALL_PERMISSIONS = ["User.Read.All", "UserAuthenticationMethod.Read.All", "AuditLog.Read.All", "RoleManagement.Read.Directory", "Organization.Read.All"];
const DAY = 86_400_000;

/** The seeded directory, relative to `clock`'s start. */
export function seed(clock: FakeClock): FakeEntraOptions {
  const now = clock.now().getTime();
  return {
    clock,
    tenants: [
      {
        id: CONTOSO,
        displayName: "Contoso",
        domains: ["contoso.example", "contoso.onmicrosoft.example"],
        users: [
          {
            id: USERS.jane,
            userPrincipalName: "jane.doe@contoso.example",
            displayName: "Jane Doe",
            mail: "jane.doe@contoso.example",
            onPremisesSamAccountName: "JDoe",
            phones: [
              { type: "mobile", number: "+1 4255550101" },
              { type: "alternateMobile", number: "+44 7700900123" },
              { type: "office", number: "+1 4255550199x123" },
            ],
            emails: ["jane.private@example.net"],
            authenticators: [{ displayName: "Jane's iPhone", deviceTag: "SoftwareTokenActivated", phoneAppVersion: "6.8.1" }],
            manager: USERS.alex,
          },
          { id: USERS.sam, userPrincipalName: "sam.admin@contoso.example", onPremisesSamAccountName: "sadmin", displayName: "Sam Admin", roles: [GLOBAL_ADMIN, REPORTS_READER], phones: [{ type: "mobile", number: "+1 2065550142" }], manager: USERS.danaWhite },
          { id: USERS.obrien, userPrincipalName: "o'brien@contoso.example", onPremisesSamAccountName: "pobrien", displayName: "Pat O'Brien", phones: [{ type: "mobile", number: "+1 4255550177" }], manager: USERS.obrien },
          { id: USERS.guest, userPrincipalName: "lee_fabrikam.example#EXT#@contoso.onmicrosoft.example", displayName: "Lee (guest)", mail: "lee@fabrikam.example", phones: [{ type: "mobile", number: "+1 4255550188" }] },
          { id: USERS.alex, userPrincipalName: "a.kim@contoso.onmicrosoft.example", displayName: "Alex Kim", mail: "alex.kim@contoso.example", phones: [{ type: "alternateMobile", number: "+999 5555551234" }] },
          { id: USERS.dana, userPrincipalName: "dana@contoso.example", displayName: "Dana Disabled", accountEnabled: false, roles: [HELPDESK_ADMIN] },
          // Her account name is the other Dana's UPN prefix: typing "dana" names two people.
          { id: USERS.danaWhite, userPrincipalName: "d.white@contoso.example", onPremisesSamAccountName: "dana", displayName: "Dana White" },
        ],
        audits: [
          { activityDisplayName: "Admin updated security info", activityDateTime: new Date(now - 2 * DAY - 3_600_000), targetId: USERS.jane },
          { activityDisplayName: "User reviewed security info", activityDateTime: new Date(now - DAY), targetId: USERS.sam },
          { activityDisplayName: "User registered security info", activityDateTime: new Date(now - 30 * DAY), targetId: USERS.sam },
          { activityDisplayName: "Update user", activityDateTime: new Date(now - DAY), targetId: USERS.obrien },
          { activityDisplayName: "User deleted security info", activityDateTime: new Date(now - DAY), targetId: USERS.obrien, result: "failure" },
        ],
      },
      { id: FABRIKAM, displayName: "Fabrikam", domains: ["fabrikam.example"], users: [{ id: USERS.fabi, userPrincipalName: "fabi@fabrikam.example", phones: [] }] },
      { id: NORTHWIND, displayName: "Northwind", domains: ["northwind.example"] },
      { id: TAILSPIN, displayName: "Tailspin", domains: ["tailspin.example"] },
      { id: AGENCY, displayName: "Agency", domains: ["agency.example"], cloudInstanceName: "microsoftonline.us" },
    ],
    apps: [
      {
        clientId: APP_ID,
        displayName: "Verity",
        secrets: [
          { id: SECRET_ID, value: SECRET },
          { id: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", value: EXPIRED_SECRET, expiresAt: new Date(now - DAY) },
        ],
        certificates: [testCertificate("verity-registered").certificate],
        consents: { [CONTOSO]: ALL_PERMISSIONS, [FABRIKAM]: ALL_PERMISSIONS, [AGENCY]: ALL_PERMISSIONS },
        pendingConsent: [TAILSPIN],
      },
      { clientId: NARROW_APP_ID, secrets: [{ id: SECRET_ID, value: SECRET }], consents: { [CONTOSO]: ["User.Read.All"] } },
    ],
  };
}

export interface Harness {
  readonly fake: FakeEntra;
  readonly clock: FakeClock;
  readonly logs: string[];
  directory(overrides?: Record<string, unknown>): EntraDirectory;
  config(overrides?: Record<string, unknown>): EntraDirectoryConfig;
  close(): Promise<void>;
}

/** The fake, a shared fake clock, and directories configured against it (closed with the harness). */
export async function startHarness(options: { latencyMs?: number; tokenLifetimeSeconds?: number } = {}): Promise<Harness> {
  const clock = createFakeClock();
  const fake = await startFakeEntra({ ...seed(clock), ...options });
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const opened: EntraDirectory[] = [];
  const config = (overrides: Record<string, unknown> = {}) =>
    entraDirectoryConfigSchema.parse({
      kind: "entra",
      clientId: APP_ID,
      credential: { kind: "secret", secret: SECRET },
      loginUrl: fake.loginUrl,
      graphUrl: fake.graphUrl,
      timeoutMs: 2000,
      ...overrides,
    });
  return {
    fake,
    clock,
    logs: lines,
    config,
    directory(overrides) {
      const directory = createEntraDirectory(config(overrides), { clock, log });
      opened.push(directory);
      return directory;
    },
    async close() {
      await Promise.all(opened.map((d) => d.close()));
      await fake.close();
    },
  };
}

/** The message of a rejected promise's error, with its code. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; retryAfterSeconds?: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; message: string; retryAfterSeconds?: number };
    return { code: e.code ?? "none", message: e.message, retryAfterSeconds: e.retryAfterSeconds };
  }
  throw new Error("expected the call to fail");
}

/**
 * findUser, then waits for the reads it left in flight (audits, Authenticator methods), so a
 * test's request counts cannot include a read that lands after it returned.
 */
export async function findSettled(directory: EntraDirectory, query: string): Promise<DirectoryUser | null> {
  const user = await directory.findUser(query);
  if (user !== null) await Promise.allSettled([directory.riskSignals(user), directory.authenticatorMethods(user)]);
  return user;
}
