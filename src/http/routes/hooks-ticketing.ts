import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Clock, TicketTrigger, TriggerRequest } from "../../domain/ports.js";
import type { AuditWriter } from "../../services/audit-service.js";
import type { JobQueue } from "../../services/job-queue.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import { acceptTriggers, confirmFromTicket, type TriggerSource } from "../../services/ticket-triggers.js";
import type { VerificationEngine } from "../../services/verification-engine.js";

/** A configured system that has a trigger. */
export interface TriggerRoute extends TriggerSource {
  readonly trigger: TicketTrigger;
}

/**
 * Every ticketing system's trigger, one shape: `POST /hooks/ticketing/<name>` (plus the aliases a
 * system keeps for webhooks already installed, such as `/hooks/halopsa`) answers 202 at once once
 * the request is authenticated and queued; `<path>/confirm` takes a code typed into the system,
 * where it has such an action. The body is read as bytes, authenticated in the system's own way
 * (a signature is computed over those bytes), and only then parsed.
 */
export function ticketingHookRoutes(
  app: FastifyInstance,
  deps: {
    routes: readonly TriggerRoute[];
    audit: AuditWriter;
    queue: JobQueue;
    engine: VerificationEngine;
    tenants: TenantRegistry;
    clock: Clock;
  },
): void {
  app.register((hooks, _options, done) => {
    // Bytes, whatever the declared type: each trigger parses its own format after authenticating.
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, next) => next(null, body));

    const requestOf = (request: FastifyRequest): TriggerRequest => ({
      headers: request.headers,
      rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      query: Object.fromEntries(Object.entries((request.query ?? {}) as Record<string, unknown>).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : []))),
      ip: request.ip,
      receivedAt: deps.clock.now(),
    });

    for (const route of deps.routes) {
      for (const path of [`/hooks/ticketing/${route.name}`, ...(route.trigger.aliases ?? [])]) {
        hooks.post(path, async (request, reply) => {
          const input = requestOf(request);
          await route.trigger.authenticate(input);
          const result = await acceptTriggers(deps, route, route.trigger.parse(input));
          return reply.status(202).send(result);
        });
        const parseConfirm = route.trigger.parseConfirm?.bind(route.trigger);
        if (parseConfirm !== undefined) {
          hooks.post(`${path}/confirm`, async (request) => {
            const input = requestOf(request);
            await route.trigger.authenticate(input);
            const result = await confirmFromTicket(deps, route, parseConfirm(input));
            return { outcome: result.outcome, attemptsRemaining: result.attemptsRemaining, state: result.verification.state };
          });
        }
      }
    }
    done();
  });
}
