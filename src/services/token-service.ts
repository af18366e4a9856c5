import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { VerityError } from "../domain/errors.js";
import type { Clock } from "../domain/ports.js";
import type { Database } from "../store/schema.js";
import { findActiveTokenByHash, insertToken, listTokens, revokeTokens, touchToken, type ApiToken, type Role } from "../store/token-dal.js";
import type { Actor } from "./actor.js";
import type { AuditWriter } from "./audit-service.js";

const PREFIX = "vrt_";
const TOKEN_PATTERN = /^vrt_[A-Za-z0-9_-]{43}$/;

/**
 * Bearer API tokens. A token is 256 random bits shown once at creation; only its SHA-256 is
 * stored (a fast hash suffices for full-entropy secrets, and lookup by hash is an index hit).
 */
export interface TokenService {
  create(input: { name: string; role: Role; tenants: readonly string[] | null }, by: Actor): Promise<{ token: string; info: ApiToken }>;
  /** The actor behind a presented token, or null when it is unknown, malformed or revoked. */
  authenticate(presented: string): Promise<Actor | null>;
  list(): Promise<ApiToken[]>;
  revoke(by: { id?: string; name?: string }, actor: Actor): Promise<number>;
}

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("base64url");

export function createTokenService(deps: { db: Kysely<Database>; clock: Clock; audit: AuditWriter }): TokenService {
  const lastTouched = new Map<string, number>();
  return {
    async create(input, by) {
      if (!/^[\p{L}\p{N} ._@-]{1,64}$/u.test(input.name)) {
        throw new VerityError("VALIDATION_FAILED", { message: "A token name is 1-64 letters, digits, spaces or . _ @ -" });
      }
      const tenants = scopeWithin(input, by);
      const token = `${PREFIX}${randomBytes(32).toString("base64url")}`;
      const info: ApiToken = {
        id: randomUUID(),
        name: input.name,
        role: input.role,
        tenants,
        createdAt: deps.clock.now().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      };
      await deps.audit.transaction(async (trx, record) => {
        await insertToken(trx, info, hashToken(token));
        record({ actor: by.id, action: "token.created", outcome: "created", data: { tokenId: info.id, name: info.name, role: info.role, tenants: info.tenants } });
      });
      return { token, info };
    },
    async authenticate(presented) {
      if (!TOKEN_PATTERN.test(presented)) return null;
      const found = await findActiveTokenByHash(deps.db, hashToken(presented));
      if (found === undefined) return null;
      const now = deps.clock.now().getTime();
      // last_used_at is informational; writing it at most once a minute keeps reads read-only.
      if ((lastTouched.get(found.id) ?? 0) < now - 60_000) {
        lastTouched.set(found.id, now);
        await touchToken(deps.db, found.id, new Date(now).toISOString());
      }
      return { id: `token:${found.id}`, name: found.name, role: found.role, tenants: found.tenants };
    },
    list: () => listTokens(deps.db),
    async revoke(by, actor) {
      const { result } = await deps.audit.transaction(async (trx, record) => {
        const count = await revokeTokens(trx, by, deps.clock.now().toISOString());
        if (count > 0) record({ actor: actor.id, action: "token.revoked", outcome: "revoked", data: { ...by, count } });
        return count;
      });
      return result;
    },
  };
}

/**
 * The tenants a new token gets, refusing anything wider than its creator: a token limited to some
 * tenants can only make tokens limited to (some of) the same tenants, and only an admin may make a
 * token of another role. A limited creator that names no tenants passes its own scope on.
 */
function scopeWithin(input: { role: Role; tenants: readonly string[] | null }, by: Actor): readonly string[] | null {
  if (by.role !== "admin" && input.role !== by.role) {
    throw new VerityError("FORBIDDEN", { message: `Only an admin token can create a token of another role (asked for ${input.role}).` });
  }
  if (by.tenants === null) return input.tenants;
  if (input.tenants === null) return by.tenants;
  const outside = input.tenants.filter((t) => !by.tenants?.includes(t));
  if (outside.length > 0) {
    throw new VerityError("FORBIDDEN", { message: `This token may not grant tenants it does not have: ${outside.join(", ")}.` });
  }
  return [...new Set(input.tenants)];
}
