import type { FastifyInstance } from "fastify";
import { VerityError } from "../../domain/errors.js";
import type { IdentityProofingService } from "../../domain/face-check.js";
import { VERIFIED_ID_HOOK_PATH } from "../../services/face-check.js";
import type { VerificationEngine } from "../../services/verification-engine.js";

/**
 * A presentation_verified callback may carry the credential's photo claim (UNCONFIRMED; a JPEG
 * of up to 2 MB, base64): room for it, though it is dropped while reading and never logged.
 */
const MAX_CALLBACK = 4 * 1024 * 1024;

/**
 * Microsoft Entra Verified ID's callbacks (PROVIDERS.md §11). Nothing is signed: the `api-key`
 * header (compared in constant time with each verified-id provider's key, before the body is
 * read) and the request id and state of a pending request are the whole proof. 401 without the
 * key; 404 for a request Verity is not waiting for; 409 for one that has ended (a replay); 200
 * once taken. The webhook rate limit (per source address) applies to every /hooks/ route.
 */
export function verifiedIdHookRoutes(app: FastifyInstance, deps: { services: readonly IdentityProofingService[]; engine: VerificationEngine }): void {
  // Which provider's key a request carried, from its onRequest hook to its handler.
  const authenticated = new WeakMap<object, IdentityProofingService>();
  app.register((hooks, _options, done) => {
    hooks.post(
      VERIFIED_ID_HOOK_PATH,
      {
        bodyLimit: MAX_CALLBACK,
        onRequest: (request, _reply, next) => {
          const service = deps.services.find((s) => s.authenticateCallback(request.headers));
          if (service === undefined) return next(new VerityError("WEBHOOK_SIGNATURE_INVALID", { message: "The callback's api-key is missing or wrong." }));
          authenticated.set(request, service);
          next();
        },
      },
      async (request, reply) => {
        const service = authenticated.get(request);
        if (service === undefined) throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
        const callback = service.readCallback(request.body);
        const result = await deps.engine.faceCheckCallback(service, callback);
        if (result === "unknown") throw new VerityError("NOT_FOUND", { message: "No presentation request with this id and state is pending." });
        if (result === "not_pending") throw new VerityError("VERIFICATION_NOT_PENDING", { message: "This presentation request has ended; nothing was changed." });
        return reply.status(200).send({ received: true });
      },
    );
    done();
  });
}
