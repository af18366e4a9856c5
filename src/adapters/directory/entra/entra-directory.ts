import type { Logger } from "pino";
import type { Clock, Directory, DirectoryUser, RiskSignal } from "../../../domain/ports.js";
import { createOutboundClient } from "../../http/outbound.js";
import type { EntraDirectoryConfig } from "./entra-config.js";
import { compositeId, isObjectId, parseCompositeId, toDirectoryUser } from "./entra-mapping.js";
import { createEntraOrganisations } from "./entra-organisation.js";
import { probeEntraDirectory } from "./entra-probe.js";
import { directoryAuditsPath, disabledSignal, privilegedSignal, securityInfoSignal } from "./entra-risk.js";
import {
  authenticatorMethodSchema,
  directoryAuditSchema,
  directoryRoleSchema,
  emailMethodSchema,
  managerEnvelopeSchema,
  phoneMethodSchema,
  type DirectoryAudit,
  type DirectoryRole,
  type GraphManager,
  type GraphUser,
} from "./entra-schemas.js";
import { assertSearchable, createEntraSearch, searchTenant } from "./entra-search.js";
import { createEntraUserLookup, isAccountName } from "./entra-user-lookup.js";
import { createGraphClient, type GraphClient } from "./graph-client.js";
import { cloudOfLoginUrl, createTenantResolver, isDomainName } from "./tenant-resolver.js";
import { createTokenProvider } from "./token-provider.js";

/** A Microsoft Authenticator registration, kept for the Entra push integration. */
export interface EntraAuthenticatorMethod {
  readonly id: string;
  readonly displayName: string | null;
  readonly deviceTag: string | null;
  readonly phoneAppVersion: string | null;
  readonly createdDateTime: string | null;
}

export interface EntraDirectory extends Directory {
  /** See `Directory.search`: identity only, from one `$search` (and an account-name filter). */
  search(query: string, limit: number): Promise<DirectoryUser[]>;
  /**
   * The user's Microsoft Authenticator registrations. Served from the reads `findUser` started
   * when they are still fresh (60 s), otherwise read from Graph.
   */
  authenticatorMethods(user: DirectoryUser): Promise<readonly EntraAuthenticatorMethod[]>;
  /** Closes the HTTP connection pools. */
  close(): Promise<void>;
}

export interface EntraDirectoryDeps {
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug" | "info">;
  /**
   * The domain whose Entra tenant this directory serves, when `tenantId` is not pinned. Without
   * either, the tenant is resolved from each query's email domain (an MSP's catch-all tenant):
   * then any tenant that consented to the app can be reached, so only a `*` tenant may do that.
   */
  readonly tenantDomain?: string;
}

/** Reads started together for one user, so later calls await what is already in flight. */
interface UserReads {
  readonly accountEnabled: boolean | null | undefined;
  readonly roles: Promise<DirectoryRole[]>;
  readonly audits: Promise<DirectoryAudit[]>;
  readonly authenticator: Promise<EntraAuthenticatorMethod[]>;
  readonly expiresAt: number;
}

const READS_TTL_MS = 60_000;
const MAX_CACHED_USERS = 5_000;
const PERMISSION = {
  phone: "UserAuthenticationMethod.Read.All (or UserAuthMethod-Phone.Read.All)",
  email: "UserAuthenticationMethod.Read.All (or UserAuthMethod-Email.Read.All)",
  authenticator: "UserAuthenticationMethod.Read.All (or UserAuthMethod-MicrosoftAuthApp.Read.All)",
  roles: "RoleManagement.Read.Directory",
  audits: "AuditLog.Read.All (Microsoft lists Directory.Read.All with it for directoryAudits)",
  manager: "User.Read.All",
} as const;
/**
 * The manager is read by expanding the user rather than from `/users/{id}/manager`: a public
 * integration note says app-only tokens are refused on that navigation (PROVIDERS.md 12), while
 * `$expand` on the user needs only User.Read.All. `$levels=1` is required once `$select` appears
 * inside the expansion; without `$count=true` no ConsistencyLevel header is needed.
 */
const MANAGER_QUERY = "?$select=id&$expand=manager($levels=1;$select=id,displayName,mail,userPrincipalName)";

/**
 * A Directory backed by Microsoft Entra ID through Microsoft Graph.
 *
 * Users are found by UPN or mail with one `$filter` call, or by the composite id
 * (`"<tenant GUID>:<object id>"`) this adapter returns as `DirectoryUser.id`. The tenant is the
 * configured `tenantId`, or the one that verified the caller's email domain. A directory that
 * reads one tenant also finds a bare object id, and a name without `@` by on-premises account
 * name or UPN prefix (refusing with USER_AMBIGUOUS when those name several users). The tenant's
 * organisation name is read (and cached) beside the user; once the user is found, their phone,
 * email and Authenticator methods, directory roles and recent audit events are read in parallel;
 * `riskSignals` awaits the reads already in flight.
 *
 * `search` reads identity only: one `$search` on display name, mail and UPN (plus an exact
 * account-name filter beside it), never a user's methods, roles or audits; the caller a
 * technician picks is then looked up by the composite id, which reads them.
 *
 * @example
 * ```ts
 * const directory = createEntraDirectory(entraDirectoryConfigSchema.parse(raw), { clock: systemClock, log });
 * const user = await directory.findUser("jane.doe@contoso.com");
 * const signals = user === null ? [] : await directory.riskSignals(user);
 * ```
 */
export function createEntraDirectory(config: EntraDirectoryConfig, deps: EntraDirectoryDeps): EntraDirectory {
  const log = deps.log;
  const login = createOutboundClient({ name: "Microsoft Entra login", timeoutMs: config.timeoutMs, log, now: () => deps.clock.now().getTime() });
  const http = createOutboundClient({ name: "Microsoft Graph", timeoutMs: config.timeoutMs, log, now: () => deps.clock.now().getTime() });
  const resolver = createTenantResolver({
    http: login,
    loginUrl: config.loginUrl,
    cloud: cloudOfLoginUrl(config.loginUrl, config.cloudInstanceName),
    clock: deps.clock,
    log,
  });
  const tokens = createTokenProvider({ http: login, ...config, clock: deps.clock, log });
  const graph: GraphClient = createGraphClient({ http, tokens, ...config });
  const users = createEntraUserLookup(graph);
  const searcher = createEntraSearch(graph);
  const organisations = createEntraOrganisations({ graph, clock: deps.clock, log });
  const privilegedIds = new Set(config.privilegedRoleTemplateIds);
  const reads = new Map<string, UserReads>();

  const fresh = (id: string): UserReads | undefined => {
    const entry = reads.get(id);
    if (entry !== undefined && entry.expiresAt > deps.clock.now().getTime()) return entry;
    reads.delete(id);
    return undefined;
  };

  const handled = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined);
    return promise;
  };

  const startReads = (tenant: string, user: GraphUser, withManager = true) => {
    const base = `/users/${encodeURIComponent(user.id)}`;
    const list = <T extends Parameters<GraphClient["list"]>[1]>(path: string, permission: string, item: T) =>
      handled(graph.list({ tenant, path: `${base}${path}`, permission }, item));
    const now = deps.clock.now();
    const started = {
      phones: list("/authentication/phoneMethods", PERMISSION.phone, phoneMethodSchema),
      emails: list("/authentication/emailMethods", PERMISSION.email, emailMethodSchema),
      authenticator: list("/authentication/microsoftAuthenticatorMethods", PERMISSION.authenticator, authenticatorMethodSchema).then(
        (methods) => methods.map(toAuthenticatorMethod),
      ),
      roles: list("/transitiveMemberOf/microsoft.graph.directoryRole?$select=displayName,roleTemplateId", PERMISSION.roles, directoryRoleSchema),
      manager: withManager
        ? handled(graph.get({ tenant, path: `${base}${MANAGER_QUERY}`, permission: PERMISSION.manager }, managerEnvelopeSchema).then((found): GraphManager | null => found?.manager ?? null))
        : Promise.resolve(null),
      audits:
        config.recentChangeDays === 0
          ? Promise.resolve([])
          : handled(
              graph.list(
                { tenant, path: directoryAuditsPath(user.id, new Date(now.getTime() - config.recentChangeDays * 86_400_000)), permission: PERMISSION.audits },
                directoryAuditSchema,
              ),
            ),
    };
    started.authenticator.catch((error: unknown) =>
      log.debug({ tenant, reason: error instanceof Error ? error.message : "unknown" }, "Microsoft Authenticator methods could not be read"),
    );
    if (reads.size >= MAX_CACHED_USERS) {
      for (const [key, entry] of reads) if (entry.expiresAt <= now.getTime() || reads.size >= MAX_CACHED_USERS) reads.delete(key);
    }
    reads.set(compositeId(tenant, user.id), {
      accountEnabled: user.accountEnabled,
      roles: started.roles,
      audits: started.audits,
      authenticator: started.authenticator,
      expiresAt: now.getTime() + READS_TTL_MS,
    });
    return started;
  };

  // The one Entra tenant this directory may read, or undefined for a catch-all directory.
  const fixedTenant = async (): Promise<string | undefined> =>
    config.tenantId ?? (deps.tenantDomain === undefined ? undefined : resolver.resolve(deps.tenantDomain));

  // Where a query leads: the Entra tenant (known before the user is, so reads about the tenant
  // can start at once) and how to find the user there.
  const locate = async (query: string): Promise<{ tenant: string; find: () => Promise<GraphUser | null> } | null> => {
    const composite = parseCompositeId(query);
    const fixed = await fixedTenant();
    if (composite !== undefined) {
      if (fixed !== undefined && composite.tenant !== fixed) return null;
      return { tenant: composite.tenant, find: () => users.byId(composite.tenant, composite.objectId) };
    }
    if (fixed !== undefined && isObjectId(query)) return { tenant: fixed, find: () => users.byId(fixed, query.toLowerCase()) };
    const at = query.lastIndexOf("@");
    if (at < 0) {
      // Without a domain only a directory pinned to one tenant knows where to look.
      return fixed !== undefined && isAccountName(query) ? { tenant: fixed, find: () => users.byAccountName(fixed, query) } : null;
    }
    const domain = query.slice(at + 1).toLowerCase();
    if (at === 0 || !isDomainName(domain)) return null;
    const tenant = fixed ?? (await resolver.resolve(domain));
    return { tenant, find: () => users.byName(tenant, query) };
  };

  const readsFor = async (user: DirectoryUser): Promise<UserReads | undefined> => {
    const cached = fresh(user.id);
    if (cached !== undefined) return cached;
    const id = parseCompositeId(user.id);
    if (id === undefined || (config.tenantId !== undefined && id.tenant !== config.tenantId)) return undefined;
    const graphUser = await users.byId(id.tenant, id.objectId);
    if (graphUser === null) return undefined;
    startReads(id.tenant, graphUser, false);
    return fresh(user.id);
  };

  return {
    async findUser(query) {
      const target = await locate(query.trim());
      if (target === null) return null;
      const { tenant } = target;
      const organisation = organisations.displayName(tenant);
      const user = await target.find();
      if (user === null) return null;
      const started = startReads(tenant, user);
      // A manager that cannot be read costs manager approval, not the lookup: every other method still works.
      const manager = started.manager.catch((error: unknown) => {
        log.warn({ tenant, objectId: user.id, reason: error instanceof Error ? error.message : "unknown" }, "the Entra user's manager could not be read");
        return null;
      });
      try {
        const [phoneMethods, emailMethods, roles] = await Promise.all([started.phones, started.emails, started.roles]);
        log.debug({ tenant, objectId: user.id }, "found an Entra user");
        const found = { tenant, user, phoneMethods, emailMethods, roles, privilegedTemplateIds: privilegedIds, manager: await manager };
        return toDirectoryUser({ ...found, organisation: await organisation });
      } catch (error) {
        reads.delete(compositeId(tenant, user.id));
        throw error;
      }
    },

    async search(query, limit) {
      const text = query.trim();
      if (text === "") return [];
      assertSearchable(text);
      const tenant = await searchTenant(text, await fixedTenant(), (domain) => resolver.resolve(domain));
      const found = await searcher.users(tenant, text, limit);
      log.debug({ tenant, count: found.length }, "searched an Entra tenant");
      const identityOnly = { phoneMethods: [], emailMethods: [], roles: [], privilegedTemplateIds: privilegedIds };
      return found.map((user) => toDirectoryUser({ tenant, user, ...identityOnly }));
    },

    async riskSignals(user) {
      const entry = await readsFor(user);
      if (entry === undefined) return [];
      try {
        const [roles, audits] = await Promise.all([entry.roles, entry.audits]);
        return [
          disabledSignal(entry.accountEnabled),
          privilegedSignal(roles, privilegedIds),
          securityInfoSignal(audits, deps.clock.now(), config.recentChangeDays),
        ].filter((signal): signal is RiskSignal => signal !== undefined);
      } catch (error) {
        reads.delete(user.id);
        throw error;
      }
    },

    async authenticatorMethods(user) {
      const entry = await readsFor(user);
      if (entry === undefined) return [];
      try {
        return await entry.authenticator;
      } catch (error) {
        reads.delete(user.id);
        throw error;
      }
    },

    probe: () => probeEntraDirectory({ tenant: fixedTenant, tokens, graph, organisations, login, loginUrl: config.loginUrl, clientId: config.clientId }),

    async close() {
      await Promise.all([login.close(), http.close()]);
    },
  };
}

function toAuthenticatorMethod(method: {
  id: string;
  displayName?: string | null | undefined;
  deviceTag?: string | null | undefined;
  phoneAppVersion?: string | null | undefined;
  createdDateTime?: string | null | undefined;
}): EntraAuthenticatorMethod {
  return {
    id: method.id,
    displayName: method.displayName ?? null,
    deviceTag: method.deviceTag ?? null,
    phoneAppVersion: method.phoneAppVersion ?? null,
    createdDateTime: method.createdDateTime ?? null,
  };
}
