import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import * as OTPAuth from "otpauth";
import { VerityError } from "../domain/errors.js";
import type { KeyRing } from "../domain/keys.js";
import { hashPassword, passwordProblem, verifyPassword } from "../domain/passwords.js";
import type { Clock } from "../domain/ports.js";
import type { Role, SsoIdentity } from "../domain/roles.js";

export type { SsoIdentity } from "../domain/roles.js";
import { seal, unseal } from "../domain/sealed.js";
import type { Database, UserRow } from "../store/schema.js";
import { acceptTotpStep, findUserRow, insertUser, listUsers, spendSigninAttempt, toWebUser, updateUser, type WebUser } from "../store/user-dal.js";
import { endSessions } from "../store/session-dal.js";
import { assertRole, type Actor } from "./actor.js";
import type { AuditWriter } from "./audit-service.js";

/** After this many wrong sign-ins in a row, an account waits LOCK_MS before it may try again. */
const MAX_FAILED_SIGNINS = 5;
const LOCK_MS = 15 * 60_000;
const TOTP_PERIOD = 30;

export interface NewLocalUser {
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly tenants: readonly string[] | null;
  readonly password: string;
}

/** What the new user scans into their authenticator app, shown once. */
export interface TotpEnrolment {
  readonly uri: string;
  readonly secret: string;
}


/**
 * People who sign in to the web app. Local accounts need a password (scrypt) and a TOTP code
 * (a code works once); SSO users are created at their first sign-in and take their role from the
 * identity provider each time. A disabled account's sessions end at once.
 *
 * Changes need an admin; one limited to some tenants manages only accounts within them and
 * cannot grant a tenant it does not have. Every change is audited.
 */
export interface WebUserService {
  /** @throws VALIDATION_FAILED (username, name or password), CONFLICT (username taken) or FORBIDDEN */
  createLocal(input: NewLocalUser, by: Actor): Promise<{ user: WebUser; totp: TotpEnrolment }>;
  /**
   * The fifth wrong sign-in in a row locks the account for 15 minutes; after that, each wrong
   * one locks it again.
   * @throws SIGNIN_FAILED (the same for every wrong part) or ACCOUNT_LOCKED (with retryAfterSeconds)
   */
  signInLocal(input: { username: string; password: string; totp: string }): Promise<WebUser>;
  upsertSso(identity: SsoIdentity): Promise<WebUser>;
  get(id: string): Promise<WebUser | undefined>;
  /** A local account by its username (any case). */
  findLocal(username: string): Promise<WebUser | undefined>;
  list(): Promise<WebUser[]>;
  /** Disabling ends every session of the account; enabling also lifts a sign-in lockout. Nobody disables themselves. */
  setDisabled(id: string, disabled: boolean, by: Actor): Promise<WebUser>;
  /** A new TOTP secret for a local account (the old one stops working, and so do its sessions), shown once. */
  resetTotp(id: string, by: Actor): Promise<{ user: WebUser; totp: TotpEnrolment }>;
}

/** Whether `by` may manage `user`: an admin of every tenant, or of all the user's tenants. */
export function mayManage(by: Actor, user: Pick<WebUser, "tenants">): boolean {
  if (by.role !== "admin") return false;
  const mine = by.tenants;
  return mine === null || (user.tenants !== null && user.tenants.every((t) => mine.includes(t)));
}

/** The tenants a new account gets: never wider than its creator's; none named means the creator's own. */
function tenantsWithin(asked: readonly string[] | null, by: Actor): readonly string[] | null {
  if (by.tenants === null) return asked === null ? null : [...new Set(asked)];
  if (asked === null) return by.tenants;
  const outside = asked.filter((t) => !by.tenants?.includes(t));
  if (outside.length > 0) throw new VerityError("FORBIDDEN", { message: `You may not grant tenants you do not have: ${outside.join(", ")}.` });
  return [...new Set(asked)];
}

const lockedError = (seconds: number) =>
  new VerityError("ACCOUNT_LOCKED", {
    message: `Too many failed sign-ins for this account; try again in ${Math.max(1, Math.ceil(seconds / 60))} minutes.`,
    retryAfterSeconds: Math.max(1, Math.ceil(seconds)),
  });

export const webActor = (user: WebUser): Actor => ({ id: `user:${user.id}`, name: user.displayName, role: user.role, tenants: user.tenants });

export function createWebUserService(deps: { db: Kysely<Database>; clock: Clock; keys: KeyRing; audit: AuditWriter; issuer: string }): WebUserService {
  const now = () => deps.clock.now().toISOString();
  const totpFor = (secret: OTPAuth.Secret, label: string) =>
    new OTPAuth.TOTP({ issuer: deps.issuer, label, algorithm: "SHA1", digits: 6, period: TOTP_PERIOD, secret });

  const refused = async (row: UserRow | undefined, reason: string) => {
    await deps.audit.append([
      { actor: row === undefined ? "web:anonymous" : `user:${row.id}`, action: "signin.failed", outcome: "refused", reason, data: { method: "local" } },
    ]);
  };
  const newSecret = (id: string, username: string) => {
    const secret = new OTPAuth.Secret({ buffer: randomBytes(20).buffer });
    return { sealed: seal(deps.keys.seal, secret.base32, `totp:${id}`), totp: { uri: totpFor(secret, username).toString(), secret: secret.base32 } };
  };
  const managed = async (db: Kysely<Database>, id: string, by: Actor) => {
    assertRole(by, "admin");
    const row = await findUserRow(db, { id });
    if (row === undefined) throw new VerityError("NOT_FOUND", { message: "No such Verity account." });
    if (!mayManage(by, toWebUser(row))) throw new VerityError("FORBIDDEN", { message: "That account has tenants you do not manage." });
    return row;
  };

  return {
    async createLocal(input, by) {
      assertRole(by, "admin");
      const username = input.username.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9._@-]{1,63}$/.test(username)) {
        throw new VerityError("VALIDATION_FAILED", { message: "A username is 2-64 lower-case letters, digits or . _ @ -" });
      }
      const displayName = input.displayName.trim();
      if (displayName.length === 0 || displayName.length > 100) throw new VerityError("VALIDATION_FAILED", { message: "A name is 1-100 characters." });
      const weak = passwordProblem(input.password);
      if (weak !== null) throw new VerityError("VALIDATION_FAILED", { message: weak });
      const tenants = tenantsWithin(input.tenants, by);
      if ((await findUserRow(deps.db, { username })) !== undefined) throw new VerityError("CONFLICT", { message: `The username ${username} is taken.` });
      const id = randomUUID();
      const { sealed, totp } = newSecret(id, username);
      const at = now();
      const row: UserRow = {
        id,
        kind: "local",
        username,
        provider: null,
        subject: null,
        display_name: displayName,
        email: null,
        role: input.role,
        tenants: tenants === null ? null : JSON.stringify(tenants),
        password_hash: await hashPassword(input.password),
        totp_secret: sealed,
        totp_last_step: null,
        failed_signins: 0,
        locked_until: null,
        disabled_at: null,
        created_at: at,
        updated_at: at,
        last_signin_at: null,
      };
      await deps.audit.transaction(async (trx, record) => {
        await insertUser(trx, row);
        record({ actor: by.id, actorName: by.name, action: "user.created", outcome: "created", data: { userId: id, username, role: input.role, tenants } });
      });
      return { user: toWebUser(row), totp };
    },

    async signInLocal(input) {
      const row = await findUserRow(deps.db, { username: input.username.trim().toLowerCase() });
      if (row === undefined || row.kind !== "local" || row.password_hash === null || row.totp_secret === null) {
        // The same work and the same answer as a wrong password, so names cannot be probed.
        await verifyPassword(input.password, "scrypt$32768$8$3$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        await refused(undefined, "unknown user");
        throw new VerityError("SIGNIN_FAILED");
      }
      const at = deps.clock.now();
      const spent = await spendSigninAttempt(deps.db, row.id, at.toISOString(), MAX_FAILED_SIGNINS, new Date(at.getTime() + LOCK_MS).toISOString());
      if (spent === null) {
        await refused(row, "account locked");
        const until = row.locked_until === null ? NaN : Date.parse(row.locked_until);
        throw lockedError(until > at.getTime() ? (until - at.getTime()) / 1000 : LOCK_MS / 1000);
      }
      const fail = async (reason: string) => {
        await refused(row, reason);
        return spent >= MAX_FAILED_SIGNINS ? lockedError(LOCK_MS / 1000) : new VerityError("SIGNIN_FAILED");
      };
      if (row.disabled_at !== null) throw await fail("account disabled");
      if (!(await verifyPassword(input.password, row.password_hash))) throw await fail("wrong password");
      const base32 = unseal(deps.keys.seal, row.totp_secret, `totp:${row.id}`);
      if (base32 === null) throw await fail("TOTP secret unreadable (security.hashKey changed?)");
      const totp = totpFor(OTPAuth.Secret.fromBase32(base32), row.username ?? "");
      const timestamp = at.getTime();
      const delta = totp.validate({ token: input.totp.replace(/\s+/g, ""), timestamp, window: 1 });
      if (delta === null) throw await fail("wrong TOTP code");
      const step = Math.floor(timestamp / 1000 / TOTP_PERIOD) + delta;
      if (!(await acceptTotpStep(deps.db, row.id, step, now()))) throw await fail("TOTP code already used");
      await updateUser(deps.db, row.id, { failed_signins: 0, locked_until: null, last_signin_at: now(), updated_at: now() });
      return toWebUser({ ...row, last_signin_at: now() });
    },

    async upsertSso(identity) {
      const at = now();
      const existing = await findUserRow(deps.db, { provider: identity.provider, subject: identity.subject });
      const fields = {
        display_name: identity.displayName,
        email: identity.email,
        role: identity.role,
        tenants: identity.tenants === null ? null : JSON.stringify(identity.tenants),
        last_signin_at: at,
        updated_at: at,
      };
      if (existing !== undefined) {
        if (existing.disabled_at !== null) throw new VerityError("ACCOUNT_DISABLED");
        await updateUser(deps.db, existing.id, fields);
        return toWebUser({ ...existing, ...fields });
      }
      const row: UserRow = {
        id: randomUUID(),
        kind: "oidc",
        username: null,
        provider: identity.provider,
        subject: identity.subject,
        password_hash: null,
        totp_secret: null,
        totp_last_step: null,
        failed_signins: 0,
        locked_until: null,
        disabled_at: null,
        created_at: at,
        ...fields,
      };
      await deps.audit.transaction(async (trx, record) => {
        await insertUser(trx, row);
        record({ actor: `user:${row.id}`, actorName: row.display_name, action: "user.created", outcome: "created", data: { userId: row.id, provider: identity.provider, role: identity.role } });
      });
      return toWebUser(row);
    },

    get: async (id) => {
      const row = await findUserRow(deps.db, { id });
      return row === undefined ? undefined : toWebUser(row);
    },
    findLocal: async (username) => {
      const row = await findUserRow(deps.db, { username: username.trim().toLowerCase() });
      return row === undefined || row.kind !== "local" ? undefined : toWebUser(row);
    },
    list: () => listUsers(deps.db),

    async setDisabled(id, disabled, by) {
      if (disabled && by.id === `user:${id}`) throw new VerityError("FORBIDDEN", { message: "You cannot disable your own account." });
      const at = now();
      const { result } = await deps.audit.transaction(async (trx, record) => {
        const row = await managed(trx, id, by);
        // Enabling is also how an administrator lets a locked-out person try again at once.
        const patch = disabled ? { disabled_at: at } : { disabled_at: null, failed_signins: 0, locked_until: null };
        await updateUser(trx, id, { ...patch, updated_at: at });
        const ended = disabled ? await endSessions(trx, { userId: id }, at, "account disabled") : 0;
        record({ actor: by.id, actorName: by.name, action: disabled ? "user.disabled" : "user.enabled", outcome: "changed", data: { userId: id, sessionsEnded: ended } });
        return toWebUser({ ...row, ...patch });
      });
      return result;
    },

    async resetTotp(id, by) {
      const at = now();
      const { result } = await deps.audit.transaction(async (trx, record) => {
        const row = await managed(trx, id, by);
        if (row.kind !== "local" || row.username === null) {
          throw new VerityError("VALIDATION_FAILED", { message: "Only a Verity account has a TOTP secret here; SSO users use their identity provider's MFA." });
        }
        const { sealed, totp } = newSecret(id, row.username);
        await updateUser(trx, id, { totp_secret: sealed, totp_last_step: null, updated_at: at });
        // Whoever had the old authenticator may have signed in with it.
        const ended = await endSessions(trx, { userId: id }, at, "second factor reset");
        record({ actor: by.id, actorName: by.name, action: "user.totp_reset", outcome: "changed", data: { userId: id, sessionsEnded: ended } });
        return { user: toWebUser(row), totp };
      });
      return result;
    },
  };
}
