import type { FastifyReply, FastifyRequest } from "fastify";
import { VerityError } from "../domain/errors.js";
import type { Actor } from "../services/actor.js";
import type { TokenService } from "../services/token-service.js";
import type { Role } from "../store/token-dal.js";
import { bearerOf } from "./rate-limit.js";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/**
 * A preHandler that admits a valid bearer token with one of `roles`. The rate limit's hook has
 * already recognised the token (request.actor); this only looks it up itself where that hook
 * did not run.
 */
export function requireToken(tokens: TokenService, ...roles: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const bearer = bearerOf(request.headers.authorization);
    const actor = request.actor ?? (bearer === null ? null : await tokens.authenticate(bearer));
    if (actor === null) throw new VerityError("UNAUTHENTICATED");
    if (roles.length > 0 && !roles.includes(actor.role)) {
      throw new VerityError("FORBIDDEN", { message: `This needs the ${roles.join(" or ")} role.` });
    }
    request.actor = actor;
  };
}

export function actorOf(request: FastifyRequest): Actor {
  if (request.actor === null) throw new VerityError("UNAUTHENTICATED");
  return request.actor;
}
