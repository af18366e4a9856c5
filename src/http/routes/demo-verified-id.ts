import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { z } from "zod";
import type { Presentation } from "../../adapters/verified-id/simulated-request-service.js";
import { VerityError } from "../../domain/errors.js";
import type { DevTools } from "../../main.js";
import { parseInput } from "../error-handler.js";

/** Where the demo serves its simulated Request Services, one per provider below it (demoConfig points the provider here). */
export const DEMO_VERIFIED_ID_PATH = "/demo/verified-id";

const walletAction = z.strictObject({ action: z.enum(["match", "no-match", "someone-else"]) });

/** The demo phone's three wallet answers, as the simulated Request Service should report them. */
function presentationFor(action: z.output<typeof walletAction>["action"], upn: string | undefined): Presentation {
  if (action === "no-match") return { score: 31 };
  if (action === "someone-else") {
    const domain = upn?.split("@")[1] ?? "example.com";
    return { score: 94, revocationId: `someone.else@${domain}`, mail: `someone.else@${domain}` };
  }
  return { score: 92 };
}

/** A pending request as the demo phone lists it: who it is for and what the verifier asked. */
export function demoPresentations(dev: DevTools, now: number) {
  return [...dev.verifiedId.entries()].flatMap(([provider, service]) =>
    service
      .requests()
      .filter((r) => r.status !== "completed" && Date.parse(r.expiresAt) > now)
      .map((r) => ({
        id: r.requestId,
        provider,
        clientName: r.body.registration.clientName,
        purpose: r.body.registration.purpose ?? null,
        for: r.body.requestedCredentials[0]?.constraints?.find((c) => c.claimName === "revocationId")?.values?.[0] ?? null,
        threshold: r.body.requestedCredentials[0]?.configuration?.validation?.faceCheck?.matchConfidenceThreshold ?? 70,
        status: r.status,
        expiresAt: r.expiresAt,
      }))
      .reverse(),
  );
}

/**
 * DEMO ONLY, inside the demo's loopback-only scope: the simulated Request Service that Verity's
 * real `verified-id` adapter calls over HTTP, and the demo phone's wallet buttons, which make the
 * simulated service send the documented callbacks to /hooks/verified-id.
 */
export function demoVerifiedIdRoutes(demo: FastifyInstance, deps: { dev: DevTools; sameOrigin: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void }): void {
  const services = [...deps.dev.verifiedId.values()];
  if (services.length === 0) return;

  demo.register((vendor, _options, registered) => {
    // The simulated service reads bodies as the vendor would: the raw form or JSON text.
    vendor.removeAllContentTypeParsers();
    vendor.addContentTypeParser("*", { parseAs: "string", bodyLimit: 65_536 }, (_request, body, done) => done(null, body));
    vendor.post<{ Params: { provider: string } }>("/:provider/*", (request, reply) => {
      const service = deps.dev.verifiedId.get(request.params.provider);
      if (service === undefined) throw new VerityError("NOT_FOUND");
      const answer = service.handle({
        method: request.method,
        path: request.url.slice(`${DEMO_VERIFIED_ID_PATH}/${request.params.provider}`.length),
        headers: request.headers,
        body: typeof request.body === "string" ? request.body : "",
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    registered();
  }, { prefix: DEMO_VERIFIED_ID_PATH });

  demo.post<{ Params: { id: string } }>("/demo/api/presentations/:id", { preHandler: deps.sameOrigin }, async (request) => {
    const { action } = parseInput(walletAction, request.body);
    for (const service of services) {
      const found = service.request(request.params.id);
      if (found === undefined || found.status === "completed") continue;
      const upn = found.body.requestedCredentials[0]?.constraints?.find((c) => c.claimName === "revocationId")?.values?.[0];
      const status = await service.present(found.requestId, presentationFor(action, upn));
      return { result: action, callbackStatus: status };
    }
    throw new VerityError("NOT_FOUND", { message: "No such presentation request waiting." });
  });
}
