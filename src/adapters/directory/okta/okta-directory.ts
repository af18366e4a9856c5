import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, Directory, DirectoryUser, ProbeResult, RiskSignal } from "../../../domain/ports.js";
import { createOktaClient } from "../../okta-shared/okta-client.js";
import { probeWith } from "../../shared/probe.js";
import type { OktaDirectoryConfig } from "./okta-directory-config.js";
import { identityOnly, toDirectoryUser } from "./okta-directory-mapping.js";
import { createOktaDirectoryReads } from "./okta-directory-reads.js";
import { privilegedSignal, recentFactorSignal, recentPasswordSignal, statusSignal } from "./okta-directory-risk.js";
import {
  oktaDirectoryFactorSchema,
  oktaDirectoryUserSchema,
  oktaGroupSchema,
  oktaRoleSchema,
  type OktaDirectoryFactor,
  type OktaDirectoryUser,
  type OktaRole,
} from "./okta-directory-schemas.js";
import { assertSearchable, emailExpression, isSearchableValue, searchExpression, usersSearchPath } from "./okta-directory-search.js";

export interface OktaDirectory extends Directory {
  /** See `Directory.search`: identity only, from Okta's users `search` (following `Link` pages). */
  search(query: string, limit: number): Promise<DirectoryUser[]>;
  probe(): Promise<ProbeResult>;
  /** Closes the HTTP connection pool. */
  close(): Promise<void>;
}

export interface OktaDirectoryDeps {
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
}

/** What findUser read, kept briefly so riskSignals does not read it again. */
interface UserReads {
  readonly user: OktaDirectoryUser;
  readonly factors: readonly OktaDirectoryFactor[];
  readonly roles: readonly OktaRole[];
  readonly expiresAt: number;
}

const READS_TTL_MS = 60_000;
const MAX_CACHED_USERS = 5_000;
const USERS_READ = "okta.users.read";
const ROLES_READ = "okta.roles.read";
/** A login no one has: looking it up reads no one's data. */
const NOBODY = "verity-connection-test";
/** Users' group memberships read at most (five pages of 200). */
const MAX_GROUPS = 1000;

/**
 * A Directory backed by an Okta org through the Management API (Users, Factors, Roles).
 *
 * A query is looked up with `GET /api/v1/users/{query}` (an Okta id, a login, or a login
 * shortname Okta can tell apart); a query with `@` is also searched as a primary email
 * (`search=profile.email eq "…"`) at the same time, and a query that names two users that way is
 * refused with USER_AMBIGUOUS. Once found, the user's factors, groups and admin role assignments
 * are read in parallel. `providerIds.okta` is the Okta user id, so `okta-push` and
 * `okta-passcode` methods need no userId rule.
 *
 * @example
 * ```ts
 * const directory = createOktaDirectory(oktaDirectoryConfigSchema.parse(raw), { clock: systemClock, log });
 * const user = await directory.findUser("jane.doe@acme.com");
 * const signals = user === null ? [] : await directory.riskSignals(user);
 * ```
 */
export function createOktaDirectory(config: OktaDirectoryConfig, deps: OktaDirectoryDeps): OktaDirectory {
  const client = createOktaClient(config, deps);
  const reads = createOktaDirectoryReads(client, deps.clock);
  const organisation = config.organisation ?? null;
  const cache = new Map<string, UserReads>();
  const userPath = (id: string) => `/api/v1/users/${encodeURIComponent(id)}`;

  const byKey = (key: string): Promise<OktaDirectoryUser | null> => {
    // A "/" would split the path, and "." or ".." would walk up it: Okta can find such a login only by search.
    if (key.includes("/") || key === "." || key === "..") return Promise.resolve(null);
    return reads.one({ path: userPath(key), action: `look up the Okta user ${key}`, scope: USERS_READ }, oktaDirectoryUserSchema);
  };

  const byEmail = (email: string): Promise<OktaDirectoryUser[]> => {
    if (!email.includes("@") || !isSearchableValue(email)) return Promise.resolve([]);
    const read = { path: usersSearchPath(emailExpression(email), 2), action: `search Okta for users with the email ${email}`, scope: USERS_READ };
    return reads.list(read, oktaDirectoryUserSchema, 2);
  };

  const locate = async (query: string): Promise<OktaDirectoryUser | null> => {
    const [direct, withEmail] = await Promise.all([byKey(query), byEmail(query)]);
    const found = new Map<string, OktaDirectoryUser>();
    for (const user of [direct, ...withEmail]) if (user !== null) found.set(user.id, user);
    if (found.size > 1) {
      throw new VerityError("USER_AMBIGUOUS", {
        message: `More than one Okta user answers to ${query} (as a login and as an email); look the caller up by their Okta login or id.`,
      });
    }
    return [...found.values()][0] ?? null;
  };

  const factorsOf = (id: string) => reads.list({ path: `${userPath(id)}/factors`, action: "list the user's Okta factors", scope: USERS_READ }, oktaDirectoryFactorSchema, 100);
  const rolesOf = (id: string) => reads.list({ path: `${userPath(id)}/roles`, action: "list the user's Okta admin roles", scope: ROLES_READ }, oktaRoleSchema, 100);
  const groupsOf = (id: string) =>
    reads.list({ path: `${userPath(id)}/groups?limit=200`, action: "list the user's Okta groups", scope: USERS_READ }, oktaGroupSchema, MAX_GROUPS);

  /**
   * The user `profile.managerId` names, looked up like any query (an Okta id or a login), beside
   * the other reads. An id that names no user (an HR employee number, say), names the caller, or
   * cannot be read leaves the manager out: approval then has no one to ask, and says so.
   */
  const managerOf = async (user: OktaDirectoryUser): Promise<OktaDirectoryUser | null> => {
    const id = user.profile.managerId?.trim();
    if (id === undefined || id === "") return null;
    try {
      const manager = await byKey(id);
      return manager === null || manager.id === user.id ? null : manager;
    } catch (error) {
      deps.log.warn({ oktaUserId: user.id, reason: error instanceof Error ? error.message : "unknown" }, "the Okta user's manager could not be read");
      return null;
    }
  };

  const remember = (entry: Omit<UserReads, "expiresAt">) => {
    const now = deps.clock.now().getTime();
    if (cache.size >= MAX_CACHED_USERS) {
      for (const [key, old] of cache) if (old.expiresAt <= now || cache.size >= MAX_CACHED_USERS) cache.delete(key);
    }
    cache.set(entry.user.id, { ...entry, expiresAt: now + READS_TTL_MS });
  };

  const readsFor = async (id: string): Promise<UserReads | null> => {
    const cached = cache.get(id);
    if (cached !== undefined && cached.expiresAt > deps.clock.now().getTime()) return cached;
    const [user, factors, roles] = await Promise.all([byKey(id), factorsOf(id), rolesOf(id)]);
    if (user === null) return null;
    remember({ user, factors, roles });
    return cache.get(id) ?? null;
  };

  return {
    async findUser(query) {
      const text = query.trim();
      if (text === "") return null;
      const user = await locate(text);
      if (user === null) return null;
      const [factors, groups, roles, manager] = await Promise.all([factorsOf(user.id), groupsOf(user.id), rolesOf(user.id), managerOf(user)]);
      remember({ user, factors, roles });
      deps.log.debug({ oktaUserId: user.id, status: user.status }, "found an Okta user");
      return toDirectoryUser({ user, factors, groups, roles, organisation, manager });
    },

    async riskSignals(found) {
      const entry = await readsFor(found.id);
      if (entry === null) return [];
      const now = deps.clock.now();
      return [
        statusSignal(entry.user.status),
        privilegedSignal(entry.roles),
        recentFactorSignal(entry.factors, now, config.recentChangeDays),
        recentPasswordSignal(entry.user.passwordChanged, now, config.recentChangeDays),
      ].filter((signal): signal is RiskSignal => signal !== undefined);
    },

    async search(query, limit) {
      const text = query.trim();
      if (text === "" || !(limit >= 1)) return [];
      assertSearchable(text);
      const read = { path: usersSearchPath(searchExpression(text), limit), action: "search Okta's users", scope: USERS_READ };
      const users = await reads.list(read, oktaDirectoryUserSchema, Math.floor(limit));
      deps.log.debug({ count: users.length }, "searched an Okta org");
      return users.map((user) => identityOnly(user, organisation));
    },

    probe: () =>
      probeWith(async () => {
        client.forgetToken();
        await Promise.all([byKey(NOBODY), rolesOf(NOBODY).catch((error: unknown) => notFoundIsFine(error))]);
        const who = config.auth.kind === "ssws" ? "the API token" : `an access token issued to API service app ${config.auth.clientId}`;
        return `Okta (${config.orgUrl}) accepted ${who} and answered a user lookup (okta.users.read) and an admin-role read (okta.roles.read); nothing was read about anyone.`;
      }),

    close: () => client.close(),
  };
}

/** A role read of no one is refused 404 only after Okta checked the credentials and scope. */
function notFoundIsFine(error: unknown): void {
  if (error instanceof VerityError && (error.details as { httpStatus?: number } | undefined)?.httpStatus === 404) return;
  throw error;
}
