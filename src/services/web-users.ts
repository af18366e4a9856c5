import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import * as OTPAuth from "otpauth";
import { VerityError } from "../domain/errors.js";
import type { KeyRing } from "../domain/keys.js";
import { hashPassword, passwordProblem, verifyPassword } from "../domain/passwords.js";
import type { Clock } from "../domain/ports.js";
import type { Role } from "../domain/roles.js";
import { seal, unseal } from "../domain/sealed.js";
import type { Database, UserRow } from "../store/schema.js";
import { acceptTotpStep, findUserRow, insertUser, listUsers, toWebUser, updateUser, type WebUser } from "../store/user-dal.js";
import { endSessions } from "../store/session-dal.js";
import type { Actor } from "./actor.js";
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

/** The identity an SSO sign-in established, already mapped to a Verity role. */
export interface SsoIdentity {
  readonly provider: string;
  readonly subject: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly role: Role;
  readonly tenants: readonly string[] | null;
}

/**
 * People who sign in to the web app. Local accounts need a password (scrypt) and a TOTP code
 * (a code works once); SSO users are created at their first sign-in and take their role from the
 * identity provider each time. A disabled account's sessions end at once.
 */
export interface WebUserService {
  createLocal(input: NewLocalUser, by: Actor): Promise<{ user: WebUser; totp: TotpEnrolment }>;
  /** @throws SIGNIN_FAILED (the same for every wrong part) or ACCOUNT_LOCKED */
  signInLocal(input: { username: string; password: string; totp: string }): Promise<WebUser>;
  upsertSso(identity: SsoIdentity): Promise<WebUser>;
  get(id: string): Promise<WebUser | undefined>;
  list(): Promise<WebUser[]>;
  setDisabled(id: string, disabled: boolean, by: Actor): Promise<WebUser>;
}

export const webActor = (user: WebUser): Actor => ({ id: `user:${user.id}`, name: user.displayName, role: user.role, tenants: user.tenants });

export function createWebUserService(deps: { db: Kysely<Database>; clock: Clock; keys: KeyRing; audit: AuditWriter; issuer: string }): WebUserService {
  const now = () => deps.clock.now().toISOString();
  const totpFor = (secret: OTPAuth.Secret, label: string) =>
    new OTPAuth.TOTP({ issuer: deps.issuer, label, algorithm: "SHA1", digits: 6, period: TOTP_PERIOD, secret });

  const fail = async (row: UserRow | undefined, reason: string) => {
    if (row !== undefined) {
      const failures = row.failed_signins + 1;
      await updateUser(deps.db, row.id, {
        failed_signins: failures,
        locked_until: failures >= MAX_FAILED_SIGNINS ? new Date(deps.clock.now().getTime() + LOCK_MS).toISOString() : row.locked_until,
        updated_at: now(),
      });
    }
    await deps.audit.append([
      { actor: row === undefined ? "web:anonymous" : `user:${row.id}`, action: "signin.failed", outcome: "refused", reason, data: { method: "local" } },
    ]);
    return new VerityError("SIGNIN_FAILED");
  };

  return {
    async createLocal(input, by) {
      const username = input.username.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9._@-]{1,63}$/.test(username)) {
        throw new VerityError("VALIDATION_FAILED", { message: "A username is 2-64 lower-case letters, digits or . _ @ -" });
      }
      const weak = passwordProblem(input.password);
      if (weak !== null) throw new VerityError("VALIDATION_FAILED", { message: weak });
      if ((await findUserRow(deps.db, { username })) !== undefined) throw new VerityError("CONFLICT", { message: `The username ${username} is taken.` });
      const secret = new OTPAuth.Secret({ buffer: randomBytes(20).buffer });
      const id = randomUUID();
      const at = now();
      const row: UserRow = {
        id,
        kind: "local",
        username,
        provider: null,
        subject: null,
        display_name: input.displayName.trim(),
        email: null,
        role: input.role,
        tenants: input.tenants === null ? null : JSON.stringify(input.tenants),
        password_hash: await hashPassword(input.password),
        totp_secret: seal(deps.keys.seal, secret.base32, `totp:${id}`),
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
        record({ actor: by.id, actorName: by.name, action: "user.created", outcome: "created", data: { userId: id, username, role: input.role, tenants: input.tenants } });
      });
      return { user: toWebUser(row), totp: { uri: totpFor(secret, username).toString(), secret: secret.base32 } };
    },

    async signInLocal(input) {
      const row = await findUserRow(deps.db, { username: input.username.trim().toLowerCase() });
      if (row === undefined || row.kind !== "local" || row.password_hash === null || row.totp_secret === null) {
        // The same work and the same answer as a wrong password, so names cannot be probed.
        await verifyPassword(input.password, "scrypt$32768$8$3$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        throw await fail(undefined, "unknown user");
      }
      if (row.locked_until !== null && row.locked_until > now()) {
        throw new VerityError("ACCOUNT_LOCKED", { retryAfterSeconds: Math.ceil((Date.parse(row.locked_until) - deps.clock.now().getTime()) / 1000) });
      }
      if (row.disabled_at !== null) throw await fail(row, "account disabled");
      if (!(await verifyPassword(input.password, row.password_hash))) throw await fail(row, "wrong password");
      const base32 = unseal(deps.keys.seal, row.totp_secret, `totp:${row.id}`);
      if (base32 === null) throw await fail(row, "TOTP secret unreadable (security.hashKey changed?)");
      const totp = totpFor(OTPAuth.Secret.fromBase32(base32), row.username ?? "");
      const timestamp = deps.clock.now().getTime();
      const delta = totp.validate({ token: input.totp.replace(/\s+/g, ""), timestamp, window: 1 });
      if (delta === null) throw await fail(row, "wrong TOTP code");
      const step = Math.floor(timestamp / 1000 / TOTP_PERIOD) + delta;
      if (!(await acceptTotpStep(deps.db, row.id, step, now()))) throw await fail(row, "TOTP code already used");
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
    list: () => listUsers(deps.db),

    async setDisabled(id, disabled, by) {
      const at = now();
      const { result } = await deps.audit.transaction(async (trx, record) => {
        const row = await findUserRow(trx, { id });
        if (row === undefined) throw new VerityError("NOT_FOUND", { message: "No such user." });
        await updateUser(trx, id, { disabled_at: disabled ? at : null, updated_at: at });
        const ended = disabled ? await endSessions(trx, { userId: id }, at, "account disabled") : 0;
        record({ actor: by.id, actorName: by.name, action: disabled ? "user.disabled" : "user.enabled", outcome: "changed", data: { userId: id, sessionsEnded: ended } });
        return toWebUser({ ...row, disabled_at: disabled ? at : null });
      });
      return result;
    },
  };
}
