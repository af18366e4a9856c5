import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { AuditVerifier } from "../../services/audit-verify.js";
import type { TokenService } from "../../services/token-service.js";
import { listAuditEvents } from "../../store/audit-dal.js";
import type { Database } from "../../store/schema.js";
import { auditQuery } from "../api-schemas.js";
import { actorOf, requireToken } from "../auth.js";
import { parseInput } from "../error-handler.js";
import { VerityError } from "../../domain/errors.js";

export function auditRoutes(app: FastifyInstance, deps: { db: Kysely<Database>; tokens: TokenService; verifier: AuditVerifier }): void {
  const auditors = requireToken(deps.tokens, "admin", "auditor");

  app.get("/api/v1/audit/events", { preHandler: auditors }, async (request) => {
    const query = parseInput(auditQuery, request.query);
    const actor = actorOf(request);
    if (actor.tenants !== null && (query.tenant === undefined || !actor.tenants.includes(query.tenant))) {
      throw new VerityError("FORBIDDEN", { message: "This token must name one of its tenants." });
    }
    const events = await listAuditEvents(deps.db, {
      limit: query.limit,
      ...(query.afterSeq === undefined ? {} : { afterSeq: query.afterSeq }),
      ...(query.since === undefined ? {} : { since: new Date(query.since).toISOString() }),
      ...(query.tenant === undefined ? {} : { tenantId: query.tenant }),
      ...(query.verification === undefined ? {} : { verificationId: query.verification }),
    });
    const last = events.at(-1);
    return { events, nextAfterSeq: events.length === query.limit && last !== undefined ? last.seq : null };
  });

  app.get("/api/v1/audit/verify", { preHandler: auditors }, async (request) => {
    if (actorOf(request).tenants !== null) throw new VerityError("FORBIDDEN", { message: "Checking the whole chain needs an unrestricted token." });
    return deps.verifier.verify();
  });
}
