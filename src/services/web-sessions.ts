import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { KeyRing } from "../domain/keys.js";
import type { Clock } from "../domain/ports.js";
import type { Database } from "../store/schema.js";
import { endSessions, findLiveSession, insertSession, touchSession } from "../store/session-dal.js";
import { toWebUser, type WebUser } from "../store/user-dal.js";
import type { Actor } from "./actor.js";
import type { AuditWriter } from "./audit-service.js";
import { webActor } from "./web-users.js";

/** A session ends after 30 minutes without a request, and 12 hours after sign-in whatever happens (SECURITY.md A5 #24). */
export const IDLE_MS = 30 * 60_000;
export const ABSOLUTE_MS = 12 * 3600_000;

export interface WebSession {
  readonly user: WebUser;
  readonly actor: Actor;
  /** The token a page sends back with every change (form field or X-CSRF-Token header). */
  readonly csrf: string;
  readonly expiresAt: string;
}

/**
 * Browser sessions. The cookie carries 256 random bits; only their SHA-256 is stored, so a copy of
 * the database signs nobody in. The CSRF token is an HMAC of the session, so it needs no storage
 * and is worthless without the cookie. Idle and absolute timeouts are enforced here, server-side;
 * sign-out and a disabled account end sessions at once.
 */
export interface WebSessionService {
  /** A new session for a user who just signed in (any earlier session cookie is not reused). */
  start(user: WebUser, how: string): Promise<{ cookie: string; session: WebSession }>;
  /** The session a cookie stands for, or null when it is unknown, ended, idle too long or too old. */
  resolve(cookie: string): Promise<WebSession | null>;
  end(cookie: string, reason: string): Promise<void>;
  checkCsrf(session: WebSession, presented: string | undefined): boolean;
}

const hash = (cookie: string) => createHash("sha256").update(cookie).digest("base64url");

export function createWebSessionService(deps: { db: Kysely<Database>; clock: Clock; keys: KeyRing; audit: AuditWriter }): WebSessionService {
  const csrfOf = (idHash: string) => createHmac("sha256", deps.keys.csrf).update(idHash).digest("base64url");
  const lastTouched = new Map<string, number>();

  return {
    async start(user, how) {
      const cookie = randomBytes(32).toString("base64url");
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + ABSOLUTE_MS).toISOString();
      await deps.audit.transaction(async (trx, record) => {
        await insertSession(trx, { id_hash: hash(cookie), user_id: user.id, created_at: now.toISOString(), last_seen_at: now.toISOString(), expires_at: expiresAt, ended_at: null, end_reason: null });
        record({ actor: `user:${user.id}`, actorName: user.displayName, action: "signin.succeeded", outcome: "signed_in", data: { method: how, role: user.role } });
      });
      return { cookie, session: { user, actor: webActor(user), csrf: csrfOf(hash(cookie)), expiresAt } };
    },

    async resolve(cookie) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null;
      const idHash = hash(cookie);
      const now = deps.clock.now();
      const found = await findLiveSession(deps.db, idHash, now.toISOString());
      if (found === undefined) return null;
      const { session, user } = found;
      if (user.disabled_at !== null) return null;
      if (Date.parse(session.last_seen_at) + IDLE_MS <= now.getTime()) {
        await endSessions(deps.db, { idHash }, now.toISOString(), "idle");
        return null;
      }
      // last_seen_at moves at most once a minute: reads stay reads.
      if ((lastTouched.get(idHash) ?? Date.parse(session.last_seen_at)) < now.getTime() - 60_000) {
        lastTouched.set(idHash, now.getTime());
        await touchSession(deps.db, idHash, now.toISOString());
      }
      const webUser = toWebUser(user);
      return { user: webUser, actor: webActor(webUser), csrf: csrfOf(idHash), expiresAt: session.expires_at };
    },

    async end(cookie, reason) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return;
      lastTouched.delete(hash(cookie));
      await endSessions(deps.db, { idHash: hash(cookie) }, deps.clock.now().toISOString(), reason);
    },

    checkCsrf(session, presented) {
      if (presented === undefined) return false;
      const expected = Buffer.from(session.csrf);
      const given = Buffer.from(presented);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
