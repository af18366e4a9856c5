import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { HaloClient } from "../../adapters/ticketing/halopsa/halopsa-client.js";
import type { HaloWebhookAuthConfig } from "../../adapters/ticketing/halopsa/halopsa-config.js";
import { checkHaloWebhookAuth } from "../../adapters/ticketing/halopsa/halopsa-webhook-auth.js";
import { parseHaloWebhook } from "../../adapters/ticketing/halopsa/halopsa-webhook-payload.js";
import { VerityError } from "../../domain/errors.js";
import { createSourceAllowlist } from "../../domain/source-allowlist.js";
import type { Clock, TicketingSystem } from "../../domain/ports.js";
import { acceptPresses, confirmFromHalo, deliveriesOf } from "../../integrations/halopsa/halopsa-intake.js";
import type { AuditWriter } from "../../services/audit-service.js";
import type { JobQueue } from "../../services/job-queue.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { parseInput } from "../error-handler.js";

const ticketNumber = z.union([z.number().int().positive(), z.string().regex(/^\d{1,12}$/).transform(Number)]);
const agentNumber = z.union([z.number().int().positive(), z.string().regex(/^\d{1,12}$/).transform(Number)]).optional();

const confirmBody = z.union([
  z
    .strictObject({ ticketId: ticketNumber, code: z.string().max(64), agentId: agentNumber })
    .transform((b) => ({ ticketId: b.ticketId, code: b.code, agentId: b.agentId ?? null })),
  z
    .array(z.object({ content: z.object({ TicketID: ticketNumber, Code: z.string().max(64), AgentID: agentNumber }) }))
    .length(1)
    .transform((a) => ({ ticketId: a[0]!.content.TicketID, code: a[0]!.content.Code, agentId: a[0]!.content.AgentID ?? null })),
]);

/**
 * HaloPSA's webhooks: `/hooks/halopsa[/i/<instance>]` takes "Verify User" presses and answers 202
 * at once (the work is queued durably); `/confirm` takes the code a technician typed into a
 * second Halo action. Both authenticate before the body is read.
 */
export function haloHookRoutes(
  app: FastifyInstance,
  deps: {
    instances: ReadonlyMap<string, HaloWebhookAuthConfig>;
    systems: ReadonlyMap<string, TicketingSystem>;
    clients: ReadonlyMap<string, HaloClient>;
    audit: AuditWriter;
    queue: JobQueue;
    engine: VerificationEngine;
    tenants: TenantRegistry;
    clock: Clock;
  },
): void {
  const single = deps.instances.size === 1 ? [...deps.instances.keys()][0] : undefined;
  const instanceOf = (request: FastifyRequest): string => {
    const named = (request.params as { instance?: string }).instance ?? single;
    if (named === undefined || !deps.instances.has(named)) throw new VerityError("NOT_FOUND");
    return named;
  };

  const sources = new Map(
    [...deps.instances].flatMap(([name, auth]) => (auth.allowedSources === undefined ? [] : [[name, createSourceAllowlist(auth.allowedSources)] as const])),
  );

  app.register((hooks, _options, done) => {
    // The source and the credentials are checked before the body is parsed: a bad caller costs no parsing.
    hooks.addHook("onRequest", (request, _reply, next) => {
      try {
        const instance = instanceOf(request);
        const allowed = sources.get(instance);
        if (allowed !== undefined && !allowed(request.ip)) {
          request.log.warn({ instance, source: request.ip }, "refused a HaloPSA webhook from an address outside its allowedSources");
          next(new VerityError("SOURCE_NOT_ALLOWED"));
          return;
        }
        const auth = deps.instances.get(instance);
        next(auth !== undefined && checkHaloWebhookAuth(auth, request.headers) ? undefined : new VerityError("WEBHOOK_SIGNATURE_INVALID"));
      } catch (error) {
        next(error as Error);
      }
    });

    for (const prefix of ["/hooks/halopsa", "/hooks/halopsa/i/:instance"]) {
      hooks.post(prefix, async (request, reply) => {
        const instance = instanceOf(request);
        const result = await acceptPresses(deps, instance, deliveriesOf(instance, parseHaloWebhook(request.body)));
        return reply.status(202).send(result);
      });
      hooks.post(`${prefix}/confirm`, async (request) => {
        const result = await confirmFromHalo(deps, instanceOf(request), parseInput(confirmBody, request.body));
        return { outcome: result.outcome, attemptsRemaining: result.attemptsRemaining, state: result.verification.state };
      });
    }
    done();
  });
}
