import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { TicketTrigger, TriggerEvent, TriggerRequest } from "../../../domain/ports.js";
import { createSourceAllowlist } from "../../../domain/source-allowlist.js";
import { parseStrictJson } from "../../../http/json-body.js";
import { singleHeader } from "../shared/webhook-auth.js";
import type { ZendeskWebhookConfig } from "./zendesk-config.js";
import { createSignatureReplayGuard, ZENDESK_TOLERANCE_MS, zendeskSignatureMatches, zendeskTimestamp } from "./zendesk-signature.js";

const MAX_BODY = 16_384;

// A placeholder Zendesk left unreplaced, or replaced with nothing, counts as absent.
const blank = (v: unknown) => v === null || v === undefined || (typeof v === "string" && (v.trim() === "" || v.includes("{{")));
// Zendesk ids are positive safe integers; "0042" is read as 42, so one ticket has one reference.
const digits = z
  .union([z.number(), z.string().trim().regex(/^\d{1,15}$/).transform(Number)])
  .pipe(z.number().int().positive().safe())
  .transform(String);

/** The body template docs/integrations/zendesk.md gives; other keys are ignored. */
const triggerBody = z.object({
  ticket_id: digits,
  requester_email: z.preprocess((v) => (blank(v) ? undefined : v), z.string().trim().max(254).optional()),
  agent_id: z.unknown().optional().transform((v) => digits.safeParse(v).data),
});

const invocationId = (request: Pick<TriggerRequest, "headers">) => {
  const value = singleHeader(request.headers, "x-zendesk-webhook-invocation-id")?.trim();
  return value !== undefined && /^[\x21-\x7e]{1,128}$/.test(value) ? value : undefined;
};

/**
 * A Zendesk webhook connected to a trigger ("Notify by > Active webhook"), authenticated by its
 * signature: base64 HMAC-SHA256 over the signature timestamp and the raw body with the webhook's
 * signing secret, the timestamp within 5 minutes of Verity's clock. The invocation id is the
 * delivery id; the ticket's requester is always read back from Zendesk before anything is sent.
 */
export function createZendeskTrigger(config: ZendeskWebhookConfig, options: { log?: { warn(o: object, m: string): void } } = {}): TicketTrigger {
  const allowed = config.allowedSources === undefined ? null : createSourceAllowlist(config.allowedSources);
  const replays = createSignatureReplayGuard();
  const secret = config.signingSecret;
  return {
    authenticate: (request) =>
      Promise.resolve().then(() => {
        if (allowed !== null && !allowed(request.ip)) {
          options.log?.warn({ source: request.ip }, "refused a Zendesk trigger from an address outside its allowedSources");
          throw new VerityError("SOURCE_NOT_ALLOWED");
        }
        if (!zendeskSignatureMatches(secret.reveal(), request.headers, request.rawBody)) throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
        const signedAt = zendeskTimestamp(request.headers);
        const now = request.receivedAt.getTime();
        if (signedAt === null || Math.abs(now - signedAt.getTime()) > ZENDESK_TOLERANCE_MS) {
          throw new VerityError("WEBHOOK_TIMESTAMP_INVALID", { message: "The Zendesk signature timestamp is missing or more than 5 minutes from Verity's clock; check both clocks." });
        }
        const invocation = invocationId(request);
        const signature = singleHeader(request.headers, "x-zendesk-webhook-signature");
        if (invocation !== undefined && signature !== undefined) replays.check(signature, invocation, now);
      }),
    parse: (request) => [parseZendeskTrigger(request)],
  };
}

/** One press from an authenticated delivery (exported for tests). */
export function parseZendeskTrigger(request: Pick<TriggerRequest, "headers" | "rawBody">): TriggerEvent {
  const deliveryId = invocationId(request);
  if (deliveryId === undefined) throw new VerityError("VALIDATION_FAILED", { message: "The Zendesk delivery has no usable x-zendesk-webhook-invocation-id header." });
  if (request.rawBody.length > MAX_BODY) throw new VerityError("VALIDATION_FAILED", { message: `The trigger body is larger than ${MAX_BODY} bytes.` });
  const parsed = triggerBody.safeParse(parseStrictJson(request.rawBody));
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.map(String).join(".") ?? "";
    throw new VerityError("VALIDATION_FAILED", {
      message: `The Zendesk webhook body is not valid${path === "" ? "" : ` at ${path}`}: send {"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}", "agent_id": "{{current_user.id}}"} as JSON.`,
    });
  }
  const email = parsed.data.requester_email;
  return {
    deliveryId,
    ticket: parsed.data.ticket_id,
    raisedAt: zendeskTimestamp(request.headers),
    agent: parsed.data.agent_id ?? null,
    emailHint: email !== undefined && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
  };
}
