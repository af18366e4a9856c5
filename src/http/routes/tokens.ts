import type { FastifyInstance } from "fastify";
import { VerityError } from "../../domain/errors.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { TokenService } from "../../services/token-service.js";
import { tokenBody } from "../api-schemas.js";
import { actorOf, requireToken } from "../auth.js";
import { parseInput } from "../error-handler.js";

export function tokenRoutes(app: FastifyInstance, deps: { tokens: TokenService; tenants: Pick<TenantRegistry, "get"> }): void {
  app.post("/api/v1/tokens", { preHandler: requireToken(deps.tokens, "admin") }, async (request, reply) => {
    const body = parseInput(tokenBody, request.body);
    const unknown = (body.tenants ?? []).filter((t) => deps.tenants.get(t) === undefined);
    if (unknown.length > 0) throw new VerityError("TENANT_NOT_FOUND", { message: `No tenant has the id ${unknown.map((t) => `'${t}'`).join(", ")}.` });
    const { token, info } = await deps.tokens.create({ name: body.name, role: body.role, tenants: body.tenants ?? null }, actorOf(request));
    return reply.status(201).send({ token, id: info.id, name: info.name, role: info.role, tenants: info.tenants });
  });
}
