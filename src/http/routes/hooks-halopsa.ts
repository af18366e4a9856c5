import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { HaloWebhookAuthConfig } from "../../adapters/ticketing/halopsa/halopsa-config.js";
import { checkHaloWebhookAuth } from "../../adapters/ticketing/halopsa/halopsa-webhook-auth.js";
import { parseHaloWebhook } from "../../adapters/ticketing/halopsa/halopsa-webhook-payload.js";
import { canonicalJson } from "../../domain/audit-chain.js";
import { VerityError } from "../../domain/errors.js";
import { createSourceAllowlist } from "../../domain/source-allowlist.js";
import type { Clock } from "../../domain/ports.js";
import { HALO_VERIFY_JOB, type HaloVerifyPayload } from "../../integrations/halopsa/halopsa-verify-job.js";
import type { Actor } from "../../services/actor.js";
import type { AuditWriter } from "../../services/audit-service.js";
import type { JobQueue } from "../../services/job-queue.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { findLatestForTicket } from "../../store/verification-dal.js";
import type { Database } from "../../store/schema.js";
import { parseInput } from "../error-handler.js";

/** A press older (or further ahead) than this is a resend or a clock fault, not a caller on the line. */
const MAX_SKEW_MS = 5 * 60_000;

const confirmBody = z.union([
  z.strictObject({ ticketId: z.union([z.number().int().positive(), z.string().regex(/^\d{1,12}$/)]), code: z.string().max(64) }),
  z
    .array(z.object({ content: z.object({ TicketID: z.union([z.number().int().positive(), z.string().regex(/^\d{1,12}$/)]), Code: z.string().max(64) }) }))
    .length(1)
    .transform((a) => ({ ticketId: a[0]!.content.TicketID, code: a[0]!.content.Code })),
]);

/**
 * HaloPSA's webhooks: `/hooks/halopsa[/<instance>]` takes "Verify User" presses and answers 202
 * at once (the work is queued durably); `/confirm` takes the code a technician typed into a
 * second Halo action. Both authenticate before the body is read, and a delivery id seen before
 * is a no-op.
 */
export function haloHookRoutes(
  app: FastifyInstance,
  deps: {
    instances: ReadonlyMap<string, HaloWebhookAuthConfig>;
    audit: AuditWriter;
    queue: JobQueue;
    engine: VerificationEngine;
    tenants: TenantRegistry;
    db: Kysely<Database>;
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

    const receive = async (request: FastifyRequest) => {
      const instance = instanceOf(request);
      const parsed = parseHaloWebhook(request.body);
      const deliveries: (HaloVerifyPayload & { raisedAt: Date | null })[] =
        parsed.format === "runbook"
          ? parsed.deliveries.map((d) => ({
              instance,
              deliveryId: d.deliveryId,
              ticketId: d.ticketId,
              email: d.email,
              agentId: null,
              ticketUserId: null,
              raisedAt: d.timestamp,
            }))
          : [
              {
                instance,
                deliveryId: parsed.deliveryId,
                ticketId: parsed.ticketId,
                email: parsed.ticketUserEmail ?? null,
                agentId: parsed.agentId,
                ticketUserId: parsed.ticketUserId ?? null,
                raisedAt: parsed.timestamp,
              },
            ];
      let accepted = 0;
      let stale = 0;
      for (const { raisedAt, ...delivery } of deliveries) {
        const skew = raisedAt === null ? 0 : Math.abs(deps.clock.now().getTime() - raisedAt.getTime());
        if (skew > MAX_SKEW_MS) {
          stale += 1;
          await deps.audit.append([
            {
              actor: `halopsa:${instance}`,
              action: "webhook.stale",
              ticket: String(delivery.ticketId),
              outcome: "ignored",
              reason: `raised ${Math.round(skew / 60_000)} minutes from now; only presses within 5 minutes are acted on`,
              data: { delivery: delivery.deliveryId },
            },
          ]);
          continue;
        }
        const { result } = await deps.audit.transaction(async (trx, record) => {
          const inserted = await trx
            .insertInto("webhook_deliveries")
            .values({
              source: `halopsa:${instance}`,
              delivery_id: delivery.deliveryId,
              body_hash: createHash("sha256").update(canonicalJson(delivery)).digest("base64url"),
              received_at: deps.clock.now().toISOString(),
            })
            .onConflict((oc) => oc.columns(["source", "delivery_id"]).doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
          await deps.queue.enqueue(trx, HALO_VERIFY_JOB, delivery);
          record({ actor: `halopsa:${instance}`, action: "webhook.received", ticket: String(delivery.ticketId), outcome: "queued", data: { delivery: delivery.deliveryId } });
          return true;
        });
        if (result) accepted += 1;
      }
      return { accepted, duplicates: deliveries.length - accepted - stale, stale };
    };

    const confirm = async (request: FastifyRequest) => {
      const instance = instanceOf(request);
      const { ticketId, code } = parseInput(confirmBody, request.body);
      const tenantIds = deps.tenants.all().filter((t) => t.ticketing?.systemName === instance).map((t) => t.id);
      const v = await findLatestForTicket(deps.db, tenantIds, String(ticketId));
      if (v === undefined) throw new VerityError("VERIFICATION_NOT_FOUND", { message: "No verification was started on that ticket." });
      const actor: Actor = { id: `halopsa:${instance}`, name: "HaloPSA", role: "admin", tenants: tenantIds };
      const result = await deps.engine.check(actor, v.id, code);
      return { outcome: result.outcome, attemptsRemaining: result.attemptsRemaining, state: result.verification.state };
    };

    for (const prefix of ["/hooks/halopsa", "/hooks/halopsa/i/:instance"]) {
      hooks.post(prefix, async (request, reply) => {
        const body = await receive(request);
        deps.queue.kick();
        return reply.status(202).send(body);
      });
      hooks.post(`${prefix}/confirm`, confirm);
    }
    done();
  });
}
