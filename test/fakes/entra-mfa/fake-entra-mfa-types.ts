import type { Clock } from "../../../src/domain/ports.js";

/** Method ids as the connector names them (AD FS adapter trace). */
export type ConnectorMethod = "PhoneAppNotification" | "PhoneAppOTP" | "TwoWayVoiceMobile" | "OneWaySMS";

/**
 * How a user's phone answers a push, timed from the push's start on the fake's clock.
 * - approve / deny / fraud after `afterMs` (default 0). `number`: the number the caller picks
 *   when the push is number-matched (default: the right one).
 * - ignore: never answers; End reports PhoneAppNoResponse after `pushTimeoutMs`, then InvalidSession
 *   once the session's lifetime has passed.
 * - result: End reports this `Result/Value` (AuthenticationResult false) after `afterMs`, for
 *   failures such as PhoneAppAllDevicesBlocked.
 */
export type ScriptedCaller =
  | { readonly action: "approve"; readonly afterMs?: number; readonly number?: number }
  | { readonly action: "deny" | "fraud"; readonly afterMs?: number }
  | { readonly action: "ignore" }
  | { readonly action: "result"; readonly value: string; readonly afterMs?: number };

export interface FakeMfaUser {
  readonly upn: string;
  /** Registered methods (default PhoneAppNotification and PhoneAppOTP). */
  readonly methods?: readonly ConnectorMethod[];
  /** The default method; null means none (NoDefaultAuthenticationMethodIsConfigured). Default: the first method. */
  readonly defaultMethod?: ConnectorMethod | null;
  readonly caller?: ScriptedCaller;
  /** The code the Authenticator app shows now (PhoneAppOTP). */
  readonly passcode?: string;
  /** The number to match, sent as ValidEntropyNumber (default 0: no number matching). */
  readonly entropy?: number;
  /** Begin answers this Result/Value instead of starting anything (AuthenticationThrottled, InternalError…). */
  readonly beginResult?: string;
}

export interface FakeMfaTenant {
  readonly id: string;
  readonly displayName?: string;
  /** Verified domains; discovery answers for each. */
  readonly domains: readonly string[];
  readonly cloudInstanceName?: string;
  /** Every Begin answers TenantIsBlocked. */
  readonly blocked?: boolean;
  /**
   * The Azure Multi-Factor Auth Client's service principal in this tenant and its credentials;
   * null when the tenant has none (AADSTS700016).
   */
  readonly mfaClient?: {
    readonly certificates?: readonly string[];
    readonly secrets?: readonly { readonly value: string; readonly expiresAt?: Date }[];
  } | null;
  readonly users?: readonly FakeMfaUser[];
}

export interface FakeEntraMfaOptions {
  readonly tenants: readonly FakeMfaTenant[];
  /** Time for tokens, assertions, callers and sessions (default: system time). */
  readonly clock?: Clock;
  /** `expires_in` of issued tokens (default 3599). */
  readonly tokenLifetimeSeconds?: number;
  /** An unanswered push turns into PhoneAppNoResponse after this long (default 60 s). */
  readonly pushTimeoutMs?: number;
  /** Sessions are forgotten (InvalidSession) after this long (default 180 s, Microsoft's ~3 minutes). */
  readonly sessionLifetimeMs?: number;
  /** The `dc` of AffinityUrl (default KRS). */
  readonly affinityDc?: string;
  /** Overrides AffinityUrl entirely, to test that clients ignore a foreign one. */
  readonly affinityUrl?: string;
}

/** One request as the fake saw it; never the Authorization header or a token-endpoint body. */
export interface FakeMfaRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly time: Date;
  status: number;
  /** Connector requests: the raw XML, its top-level elements in order, and their text. */
  xml?: string;
  elements?: readonly string[];
  fields?: Readonly<Record<string, string | null>>;
  /** Token requests: how the client authenticated, and the resource asked for. */
  credential?: "secret" | "assertion" | "none";
  resource?: string | null;
}

/** A switchable failure for the next `times` matching requests. */
export type FakeMfaFailure =
  | { readonly status: 429; readonly retryAfter?: number }
  | { readonly status: 401 | 500 | 502 | 503 | 504 }
  | { readonly hang: true }
  /** A well-formed connector answer carrying this Result/Value. */
  | { readonly result: string; readonly retry?: boolean }
  /** A raw body, for the client's defensive parsing. */
  | { readonly body: string; readonly status?: number; readonly contentType?: string };

export type Decision =
  | { readonly kind: "approve"; readonly number?: number }
  | { readonly kind: "deny" | "fraud" }
  | { readonly kind: "result"; readonly value: string };

/** A connector session (one Begin). */
export interface FakeMfaSession {
  readonly id: string;
  readonly tenant: string;
  readonly upn: string;
  readonly contextId: string;
  readonly method: ConnectorMethod;
  readonly sync: boolean;
  readonly startedAt: number;
  decision?: Decision & { readonly atMs: number };
  /** A passcode session answered once is closed. */
  closed?: boolean;
}

export interface IssuedMfaToken {
  readonly tenant: string;
  readonly resource: string;
  readonly expiresAt: number;
}
