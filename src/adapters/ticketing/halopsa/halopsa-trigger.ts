import { z } from "zod";
import { parseStrictJson } from "../../../http/json-body.js";
import type { TicketTrigger, TriggerConfirm, TriggerEvent } from "../../../domain/ports.js";
import { VerityError } from "../../../domain/errors.js";
import { sharedSecretCheck, type SharedSecretAuth } from "../shared/webhook-auth.js";
import { parseHaloWebhook } from "./halopsa-webhook-payload.js";

const ticketNumber = z.union([z.number().int().positive().transform(String), z.string().regex(/^\d{1,12}$/)]);
const agentNumber = z.union([z.number().int().positive().transform(String), z.string().regex(/^\d{1,12}$/)]).optional();

/** The confirm action's body: Verity's own shape, or the runbook's `[{content:{TicketID,Code,AgentID}}]`. */
const confirmBody = z.union([
  z
    .strictObject({ ticketId: ticketNumber, code: z.string().max(64), agentId: agentNumber })
    .transform((b): TriggerConfirm => ({ ticket: b.ticketId, code: b.code, agent: b.agentId ?? null })),
  z
    .array(z.object({ content: z.object({ TicketID: ticketNumber, Code: z.string().max(64), AgentID: agentNumber }) }))
    .length(1)
    .transform((a): TriggerConfirm => ({ ticket: a[0]!.content.TicketID, code: a[0]!.content.Code, agent: a[0]!.content.AgentID ?? null })),
]);

/**
 * HaloPSA's "Verify User" button: a Halo webhook (or the old runbook's body) with Basic
 * credentials or a token, optionally from listed addresses only. Halo signs nothing, so the
 * ticket's end user is always read back from Halo's API before anything is sent.
 *
 * Paths: `/hooks/ticketing/<name>`, `/hooks/halopsa/i/<name>` and, when it is the only HaloPSA,
 * `/hooks/halopsa` (the paths installed webhooks already use); `<path>/confirm` takes a code
 * typed into a second Halo action.
 */
export function createHaloTrigger(name: string, auth: SharedSecretAuth, options: { only: boolean; log?: { warn(o: object, m: string): void } }): TicketTrigger {
  const check = sharedSecretCheck(auth, options.log);
  return {
    aliases: [`/hooks/halopsa/i/${name}`, ...(options.only ? ["/hooks/halopsa"] : [])],
    authenticate: (request) => Promise.resolve().then(() => check(request)),
    parse(request): TriggerEvent[] {
      const parsed = parseHaloWebhook(parseStrictJson(request.rawBody));
      return parsed.format === "runbook"
        ? parsed.deliveries.map((d) => ({ deliveryId: d.deliveryId, ticket: String(d.ticketId), emailHint: d.email, agent: null, raisedAt: d.timestamp }))
        : [
            {
              deliveryId: parsed.deliveryId,
              ticket: String(parsed.ticketId),
              emailHint: parsed.ticketUserEmail ?? null,
              agent: parsed.agentId === null ? null : String(parsed.agentId),
              raisedAt: parsed.timestamp,
            },
          ];
    },
    parseConfirm(request) {
      const parsed = confirmBody.safeParse(parseStrictJson(request.rawBody));
      if (!parsed.success) {
        const path = parsed.error.issues[0]?.path.map(String).join(".") ?? "";
        throw new VerityError("VALIDATION_FAILED", { message: `The confirm body is not valid${path === "" ? "" : ` at ${path}`}: send {"ticketId", "code"}.` });
      }
      return parsed.data;
    },
  };
}
