import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * How the person holding the phone answers an Okta Verify push, decided when Okta is polled:
 * approve after `afterMs` picking the right number (or a wrong one, which Okta rejects), deny,
 * or never answer (the push times out after the fake's `pushLifetimeMs`).
 */
export type FakeCaller =
  | { readonly action: "approve"; readonly afterMs?: number; readonly pick?: "right" | "wrong" }
  | { readonly action: "deny"; readonly afterMs?: number }
  | { readonly action: "ignore" };

export interface FakeOktaFactorInput {
  readonly id?: string;
  /** `push`, `token:software:totp`, `sms`, `call`, `email`, `question`, … */
  readonly factorType: string;
  readonly provider?: string;
  readonly status?: string;
  readonly profile?: Readonly<Record<string, unknown>>;
  /** For `token:software:totp`: the code Okta accepts right now. */
  readonly passCode?: string;
  /** When the factor was enrolled and last changed (ISO; default: when the fake started). */
  readonly created?: string;
  readonly lastUpdated?: string;
}

export interface FakeOktaUserInput {
  readonly id?: string;
  readonly login: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly status?: string;
  readonly factors?: readonly FakeOktaFactorInput[];
  readonly caller?: FakeCaller;
  /** `profile.email` (default: the login). */
  readonly email?: string;
  readonly displayName?: string;
  /** Names of the Okta groups the user belongs to (Everyone is always added). */
  readonly groups?: readonly string[];
  /** Admin role types assigned to the user directly (SUPER_ADMIN, HELP_DESK_ADMIN, …). */
  readonly roles?: readonly string[];
  /** `passwordChanged` (ISO; default: when the fake started). */
  readonly passwordChanged?: string;
  /** `profile.managerId` and `profile.manager` (Okta's base profile: the manager's id and display name, free text). */
  readonly managerId?: string;
  readonly manager?: string;
}

/** An API token and the admin role of the admin who created it. */
export interface FakeOktaApiToken {
  readonly token: string;
  readonly role: "super" | "read-only";
}

/** An API Services app: its registered public keys (PEM, optional kid), granted scopes, role. */
export interface FakeOktaServiceApp {
  readonly clientId: string;
  readonly publicKeys: readonly { readonly kid?: string; readonly pem: string }[];
  readonly scopes: readonly string[];
  readonly role?: "super" | "read-only";
  /** The app demands DPoP-bound tokens ("Require DPoP header in token requests"). */
  readonly requireDpop?: boolean;
}

export interface FakeOktaOptions {
  readonly users?: readonly FakeOktaUserInput[];
  /** Default: one super-admin token, `fake.apiToken`. */
  readonly apiTokens?: readonly FakeOktaApiToken[];
  readonly serviceApps?: readonly FakeOktaServiceApp[];
  /** The org-wide budget for /api/v1 calls per window (default 600 per 60 s). */
  readonly rateLimit?: { readonly limit: number; readonly windowSeconds?: number };
  /** How long a push waits for an answer before TIMEOUT (default 5 minutes). */
  readonly pushLifetimeMs?: number;
  /** Whether the org honours `useNumberMatchingChallenge` (default true). */
  readonly numberChallenge?: boolean;
  /** The origin used in `_links` (default: the fake's own base URL). */
  readonly linkBaseUrl?: string;
  /** The fake's clock in ms since the epoch (default Date.now). */
  readonly now?: () => number;
  readonly tokenLifetimeSeconds?: number;
  /** Delay before answering each request (default 0). */
  readonly latencyMs?: number;
  /** Most users one page of `GET /api/v1/users` holds, whatever `limit` asks (default 200). */
  readonly pageSize?: number;
}

export interface FakeOktaFactor {
  readonly id: string;
  readonly factorType: string;
  readonly provider: string;
  status: string;
  readonly profile: Readonly<Record<string, unknown>>;
  passCode: string | null;
  readonly usedPassCodes: Set<string>;
  readonly created: string;
  readonly lastUpdated: string;
}

export interface FakeOktaUser {
  readonly id: string;
  readonly login: string;
  readonly firstName: string;
  readonly lastName: string;
  status: string;
  readonly factors: FakeOktaFactor[];
  caller: FakeCaller;
  readonly created: string;
  email: string;
  readonly displayName: string;
  readonly groups: readonly { readonly id: string; readonly name: string }[];
  readonly roles: readonly { readonly id: string; readonly type: string }[];
  readonly passwordChanged: string;
  readonly managerId: string | null;
  readonly manager: string | null;
}

export type FakeTransactionResult = "WAITING" | "SUCCESS" | "REJECTED" | "TIMEOUT";

export interface FakeTransaction {
  readonly id: string;
  readonly userId: string;
  readonly factorId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The number shown to the technician, or null for an approve-only push. */
  readonly correctAnswer: number | null;
  readonly userAgent: string | undefined;
  result: FakeTransactionResult;
  /** The number the caller picked, when they answered a number challenge. */
  picked: number | null;
  cancelled: boolean;
}

/** Every request the fake received, with the answer it gave. */
export interface RecordedOktaRequest {
  readonly method: string;
  readonly path: string;
  /** The query string, including `?`, or "". */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  readonly receivedAt: number;
  response: { readonly status: number; readonly body: unknown; readonly headers: Readonly<Record<string, string>> } | null;
}

/**
 * How the next matching requests fail: an HTTP 500/503 in Okta's envelope, a 403 E0000006 (the
 * admin role behind the credentials does not cover the call), a reset, or no answer.
 */
export type FakeOktaFailure = "500" | "503" | "403" | "reset" | "hang";
/** Which requests a failure applies to. */
export type FakeOktaRoute = "user" | "users" | "factors" | "groups" | "roles" | "verify" | "poll" | "cancel" | "token" | "any";

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** An Okta-looking id: a three-character prefix and 17 letters and digits (`00u…`, `opf…`). */
export function fakeOktaId(prefix: string): string {
  const bytes = randomBytes(17);
  return prefix + [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** The users a fake starts with when none are given: push+TOTP, push only, and nothing. */
export function defaultOktaUsers(): FakeOktaUserInput[] {
  return [
    {
      login: "jane.doe@acme.example",
      firstName: "Jane",
      lastName: "Doe",
      factors: [
        { factorType: "push", profile: { credentialId: "jane.doe@acme.example", deviceType: "SmartPhone_IPhone", name: "Jane's iPhone", platform: "IOS", version: "17.4" } },
        { factorType: "token:software:totp", profile: { credentialId: "jane.doe@acme.example" }, passCode: "246810" },
        { factorType: "sms", profile: { phoneNumber: "+1 XXX-XXX-0123" } },
      ],
    },
    {
      login: "sam.patel@acme.example",
      firstName: "Sam",
      lastName: "Patel",
      factors: [{ factorType: "push", profile: { credentialId: "sam.patel@acme.example", deviceType: "SmartPhone_Android", name: "Pixel 8", platform: "ANDROID", version: "14" } }],
    },
    { login: "alex.kim@acme.example", firstName: "Alex", lastName: "Kim", factors: [{ factorType: "sms", profile: { phoneNumber: "+1 XXX-XXX-0456" } }] },
  ];
}

/** Fills in ids, defaults and bookkeeping for the fake's users. */
export function completeUser(input: FakeOktaUserInput, nowIso: string): FakeOktaUser {
  const firstName = input.firstName ?? input.login.split("@")[0] ?? input.login;
  const lastName = input.lastName ?? "User";
  return {
    id: input.id ?? fakeOktaId("00u"),
    login: input.login,
    firstName,
    lastName,
    email: input.email ?? input.login,
    displayName: input.displayName ?? `${firstName} ${lastName}`,
    groups: ["Everyone", ...(input.groups ?? [])].map((name) => ({ id: groupId(name), name })),
    roles: (input.roles ?? []).map((type) => ({ id: fakeOktaId("ra1"), type })),
    passwordChanged: input.passwordChanged ?? nowIso,
    managerId: input.managerId ?? null,
    manager: input.manager ?? null,
    status: input.status ?? "ACTIVE",
    caller: input.caller ?? { action: "approve", afterMs: 100, pick: "right" },
    created: nowIso,
    factors: (input.factors ?? []).map((f) => ({
      id: f.id ?? fakeOktaId(FACTOR_PREFIX[f.factorType] ?? "fac"),
      factorType: f.factorType,
      provider: f.provider ?? "OKTA",
      status: f.status ?? "ACTIVE",
      profile: f.profile ?? {},
      passCode: f.passCode ?? null,
      usedPassCodes: new Set<string>(),
      created: f.created ?? nowIso,
      lastUpdated: f.lastUpdated ?? f.created ?? nowIso,
    })),
  };
}

const FACTOR_PREFIX: Readonly<Record<string, string>> = {
  push: "opf",
  "token:software:totp": "ost",
  sms: "sms",
  call: "clf",
  email: "emf",
  question: "ufs",
};

const groupIds = new Map<string, string>();

/** One id per group name, shared by every user of the fake. */
function groupId(name: string): string {
  let id = groupIds.get(name);
  if (id === undefined) {
    id = fakeOktaId("00g");
    groupIds.set(name, id);
  }
  return id;
}
