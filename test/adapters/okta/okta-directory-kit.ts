import { pino } from "pino";
import { oktaDirectoryConfigSchema } from "../../../src/adapters/directory/okta/okta-directory-config.js";
import { createOktaDirectory, type OktaDirectory } from "../../../src/adapters/directory/okta/okta-directory.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { systemClock, type Clock } from "../../../src/domain/ports.js";
import { startFakeOkta, type FakeOkta, type FakeOktaFactorInput, type FakeOktaOptions, type FakeOktaUserInput } from "../../fakes/okta/fake-okta.js";
import { captureLogs } from "../../helpers/logs.js";
import { CLIENT_ID, testKeyPair } from "./okta-kit.js";

/** Long enough ago that no risk window (at most 90 days) reaches it. */
export const LONG_AGO = "2025-01-15T09:00:00.000Z";
export const NO_ROLES_APP = "0oaVerityNoRolesApp1";

export const IDS = { jane: "00uJaneDoeOkta000001", ada: "00uAdaAdminOkta00002", pat: "00uPatLoginOkta00003", patOther: "00uPatOtherOkta00004" } as const;

const settled = (factors: readonly FakeOktaFactorInput[]): FakeOktaFactorInput[] => factors.map((f) => ({ created: LONG_AGO, ...f }));
const person = (user: FakeOktaUserInput): FakeOktaUserInput => ({ passwordChanged: LONG_AGO, ...user, factors: settled(user.factors ?? []) });

/** An org covering each mapping case; each user's name says what it is for. */
export const DIRECTORY_USERS: readonly FakeOktaUserInput[] = [
  person({
    id: IDS.jane,
    login: "jane.doe@acme.example",
    firstName: "Jane",
    lastName: "Doe",
    groups: ["Finance", "VPN Users"],
    factors: [
      { factorType: "sms", profile: { phoneNumber: "+1 415-555-0123" } },
      { factorType: "call", profile: { phoneNumber: "+1-415-555-0199", phoneExtension: "12" } },
      { factorType: "email", profile: { email: "jane.private@mail.example" } },
      { factorType: "push", profile: { credentialId: "jane.doe@acme.example", name: "Jane's iPhone", platform: "IOS" } },
      { factorType: "token:software:totp", passCode: "246810" },
      { factorType: "question", profile: { question: "disliked_food" } },
    ],
  }),
  person({
    id: IDS.ada,
    login: "ada.admin@acme.example",
    firstName: "Ada",
    lastName: "Admin",
    email: "ada@acme.example",
    roles: ["SUPER_ADMIN", "HELP_DESK_ADMIN"],
    factors: [
      { factorType: "email", profile: { email: "Ada@Acme.example" } },
      { factorType: "sms", profile: { phoneNumber: "+1 XXX-XXX-0456" } },
    ],
  }),
  person({ login: "lou.locked@acme.example", firstName: "Lou", lastName: "Locked", status: "LOCKED_OUT", factors: [{ factorType: "sms", status: "PENDING_ACTIVATION", profile: { phoneNumber: "+14155550177" } }] }),
  person({ login: "sue.suspended@acme.example", firstName: "Sue", lastName: "Suspended", status: "SUSPENDED", factors: [{ factorType: "sms", profile: { phoneNumber: "+447700900123" } }] }),
  person({ id: IDS.pat, login: "pat@acme.example", firstName: "Pat", lastName: "Login", email: "pat.login@acme.example" }),
  person({ id: IDS.patOther, login: "pat.other@acme.example", firstName: "Pat", lastName: "Other", email: "pat@acme.example" }),
  person({ login: "rita.recent@acme.example", firstName: "Rita", lastName: "Recent", passwordChanged: new Date().toISOString(), factors: [{ factorType: "sms", created: new Date().toISOString(), profile: { phoneNumber: "+14155550188" } }] }),
  ...["Able", "Baker", "Charlie", "Delta", "Echo"].map((lastName) => person({ login: `chris.${lastName.toLowerCase()}@acme.example`, firstName: "Chris", lastName })),
];

export interface OktaDirectoryKit {
  readonly fake: FakeOkta;
  readonly logs: string[];
  /** A directory on the fake (its API token unless `overrides` say otherwise); closed with the kit. */
  directory(overrides?: Record<string, unknown>, clock?: Clock): OktaDirectory;
  /** OAuth settings for the kit's service app (RSA key `verity`, kid `verity-1`). */
  oauth(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Requests the fake received for paths starting with `prefix`. */
  calls(prefix: string): number;
  close(): Promise<void>;
}

export async function startOktaDirectoryKit(options: FakeOktaOptions = {}): Promise<OktaDirectoryKit> {
  const key = testKeyPair().publicKey;
  const fake = await startFakeOkta({
    users: DIRECTORY_USERS,
    serviceApps: [
      { clientId: CLIENT_ID, publicKeys: [{ kid: "verity-1", pem: key }], scopes: ["okta.users.read", "okta.roles.read"], role: "read-only" },
      { clientId: NO_ROLES_APP, publicKeys: [{ kid: "verity-1", pem: key }], scopes: ["okta.users.read"], role: "read-only" },
    ],
    ...options,
  });
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const made: OktaDirectory[] = [];
  return {
    fake,
    logs: lines,
    directory(overrides = {}, clock = systemClock) {
      const config = oktaDirectoryConfigSchema.parse({ kind: "okta", orgUrl: fake.baseUrl, auth: { kind: "ssws", token: fake.apiToken }, timeoutMs: 1000, ...overrides });
      const directory = createOktaDirectory(config, { clock, log });
      made.push(directory);
      return directory;
    },
    oauth: (overrides = {}) => ({ kind: "oauth", clientId: CLIENT_ID, privateKey: testKeyPair().privateKey, keyId: "verity-1", ...overrides }),
    calls: (prefix) => fake.requests.filter((r) => r.path.startsWith(prefix)).length,
    async close() {
      await Promise.all(made.map((d) => d.close()));
      await fake.close();
    },
  };
}

/** Resolves to the VerityError code a promise rejects with (fails the test when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string; retryAfterSeconds: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (isVerityError(error)) return { code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    throw error;
  }
  throw new Error("expected a rejection");
}
