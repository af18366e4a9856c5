import type { Clock } from "../../../src/domain/ports.js";

/** A user in a fake tenant, with the authentication methods and roles Graph would list. */
export interface FakeUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName?: string;
  readonly mail?: string | null;
  /** Exchange proxy addresses (`SMTP:primary`, `smtp:alias`); by default `SMTP:` + mail. */
  readonly proxyAddresses?: readonly string[];
  /** Synced from on-premises AD; Graph returns it only when $select asks. */
  readonly onPremisesSamAccountName?: string | null;
  readonly accountEnabled?: boolean;
  /** Phone methods as Graph stores them: `+1 5555551234x123`. */
  readonly phones?: readonly { readonly type: string; readonly number: string | null }[];
  readonly emails?: readonly string[];
  readonly authenticators?: readonly { readonly displayName: string; readonly deviceTag?: string; readonly phoneAppVersion?: string }[];
  /** Directory roles held, by role template id (transitively, e.g. through a group). */
  readonly roles?: readonly string[];
  /** The object id of this user's manager: another user of the same tenant. */
  readonly manager?: string;
}

/** A directoryAudit event; `targetId` is the user it targets. */
export interface FakeAudit {
  readonly activityDisplayName: string;
  readonly activityDateTime: Date | string;
  readonly targetId: string;
  readonly result?: "success" | "failure";
  readonly category?: string;
}

export interface FakeTenant {
  readonly id: string;
  readonly displayName?: string;
  /** Verified domains; discovery answers for each of them and for the GUID. */
  readonly domains: readonly string[];
  /** `cloud_instance_name` in discovery (default microsoftonline.com). */
  readonly cloudInstanceName?: string;
  /** false: directoryAudits answers 403 as for a tenant without Entra ID P1/P2 (default true). */
  readonly premium?: boolean;
  readonly users?: readonly FakeUser[];
  readonly audits?: readonly FakeAudit[];
  /**
   * Exchange Online's application access policy (or RBAC for Applications scope): client id →
   * the mailboxes (UPNs) that app may send from with Mail.Send. An app not listed may send from
   * any mailbox, as without a policy.
   */
  readonly mailSendScope?: Readonly<Record<string, readonly string[]>>;
}

/** An app registration and where it is installed. */
export interface FakeApp {
  readonly clientId: string;
  readonly displayName?: string;
  readonly secrets?: readonly { readonly id: string; readonly value: string; readonly expiresAt?: Date }[];
  /** PEM certificates uploaded to the registration. */
  readonly certificates?: readonly string[];
  /** Tenant GUID → application permissions granted there with admin consent. */
  readonly consents: Readonly<Record<string, readonly string[]>>;
  /** Tenants with a service principal but consent still pending (token answers AADSTS65001). */
  readonly pendingConsent?: readonly string[];
}

export interface FakeEntraOptions {
  readonly tenants: readonly FakeTenant[];
  readonly apps: readonly FakeApp[];
  /** Time for token lifetimes, assertion validity and audit dates (default: system time). */
  readonly clock?: Clock;
  /** `expires_in` of issued tokens (default 3599). */
  readonly tokenLifetimeSeconds?: number;
  /** Delay before every Graph answer, so concurrency can be observed (default 0). */
  readonly latencyMs?: number;
  /** Items per collection page (default 100). */
  readonly pageSize?: number;
}

/** One request as the fake saw it; the Authorization header and bodies are never recorded. */
export interface FakeRequest {
  readonly method: string;
  /** The path, with its /login or /graph prefix. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The ConsistencyLevel header, when the request carried one (advanced queries). */
  readonly consistencyLevel?: string;
  readonly time: Date;
  status: number;
}

/** A switchable failure for the next `times` requests whose path matches. */
export type FakeFailure = { readonly status: 429; readonly retryAfter?: number } | { readonly status: 401 | 500 | 502 | 503 | 504 } | { readonly hang: true };

/** Built-in role names by template id, as Graph's directoryRole objects show them. */
export const ROLE_NAMES: Readonly<Record<string, string>> = {
  "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
  "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
  "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
  "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
  "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
  "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
  "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
  "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
  "4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
  "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
};

/** Fixed phone method ids per type (phoneAuthenticationMethod resource). */
export const PHONE_METHOD_IDS: Readonly<Record<string, string>> = {
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
};

/** A token the fake issued: bound to one tenant, carrying the app's granted permissions. */
export interface IssuedToken {
  readonly tenant: string;
  readonly clientId: string;
  readonly roles: readonly string[];
  readonly expiresAt: number;
}

/** What the login and Graph handlers share. */
export interface FakeState {
  readonly options: FakeEntraOptions;
  readonly loginUrl: string;
  readonly graphUrl: string;
  now(): Date;
  /** A tenant by GUID or verified domain, case-insensitively. */
  tenant(key: string): FakeTenant | undefined;
  readonly tokens: Map<string, IssuedToken>;
  tokensIssued: number;
  /** Consents changed since start, by `clientId/tenantId` (null: withdrawn); see `setConsent`. */
  readonly consentChanges?: Map<string, readonly string[] | null>;
}

/** The permissions `app` holds in `tenantId` with admin consent now, or undefined without consent. */
export function consentedPermissions(state: FakeState, app: FakeApp, tenantId: string): readonly string[] | undefined {
  const key = `${app.clientId.toLowerCase()}/${tenantId.toLowerCase()}`;
  const changed = state.consentChanges?.get(key);
  if (changed === null) return undefined;
  return changed ?? app.consents[tenantId];
}
