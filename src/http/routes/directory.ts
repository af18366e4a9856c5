import type { FastifyInstance } from "fastify";
import { VERIFYING_ROLES } from "../../domain/roles.js";
import type { TokenService } from "../../services/token-service.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { lookupQuery, searchQuery } from "../api-schemas.js";
import { actorOf, requireToken } from "../auth.js";
import { parseInput } from "../error-handler.js";

export function directoryRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; tokens: TokenService }): void {
  app.get("/api/v1/directory/search", { preHandler: requireToken(deps.tokens, ...VERIFYING_ROLES) }, async (request) => {
    const { q } = parseInput(searchQuery, request.query);
    return deps.engine.search(actorOf(request), q);
  });

  app.get<{ Params: { idOrEmail: string } }>(
    "/api/v1/directory/users/:idOrEmail",
    { preHandler: requireToken(deps.tokens, ...VERIFYING_ROLES) },
    async (request) => {
      const { tenant } = parseInput(lookupQuery, request.query);
      return deps.engine.lookup(actorOf(request), request.params.idOrEmail.slice(0, 254), tenant);
    },
  );
}
