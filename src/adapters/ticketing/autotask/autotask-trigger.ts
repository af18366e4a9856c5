import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { TicketTrigger, TriggerEvent } from "../../../domain/ports.js";
import { createSourceAllowlist } from "../../../domain/source-allowlist.js";
import { parseStrictJson } from "../../../http/json-body.js";
import { hmacMatches, singleHeader } from "../shared/webhook-auth.js";
import type { AutotaskConfig } from "./autotask-config.js";
import { autotaskDeliveryId, fieldShows, parseAutotaskWebhook } from "./autotask-webhook-payload.js";

/**
 * Autotask's ticket webhook (TicketWebhooks): each delivery carries `X-Hook-Signature:
 * sha1=<base64 HMAC-SHA1(SecretKey, body)>`, checked over the raw bytes before anything is parsed.
 * The payload names the ticket by id only; its contact is read back through the API. With
 * `triggerField`/`triggerValue` set, only deliveries whose fields show that value start a check.
 */
export function createAutotaskTrigger(
  config: Pick<AutotaskConfig, "webhook" | "triggerField" | "triggerValue">,
  deps: { log: Pick<Logger, "warn" | "info" | "debug"> },
): TicketTrigger {
  const key = config.webhook.secretKey.reveal();
  const allowed = config.webhook.allowedSources === undefined ? null : createSourceAllowlist(config.webhook.allowedSources);
  return {
    authenticate(request) {
      return Promise.resolve().then(() => {
        if (allowed !== null && !allowed(request.ip)) {
          deps.log.warn({ source: request.ip }, "refused an Autotask webhook from an address outside its allowedSources");
          throw new VerityError("SOURCE_NOT_ALLOWED");
        }
        const header = singleHeader(request.headers, "x-hook-signature")?.trim();
        const signature = header === undefined ? undefined : header.replace(/^sha1=/i, "");
        if (!hmacMatches("sha1", key, request.rawBody, signature)) throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
      });
    },
    parse(request): TriggerEvent[] {
      const hook = parseAutotaskWebhook(parseStrictJson(request.rawBody));
      if (hook.kind === "deactivated") {
        deps.log.warn({ service: "Autotask", webhook: hook.guid }, "Autotask deactivated its ticket webhook: Verify caller presses will not arrive until it is reactivated");
        return [];
      }
      if (hook.kind === "ignored") {
        deps.log.info({ service: "Autotask", reason: hook.reason }, "ignored an Autotask webhook delivery that is not a ticket create or update");
        return [];
      }
      if (config.triggerField !== undefined && config.triggerValue !== undefined && !fieldShows(hook.field(config.triggerField), config.triggerValue)) {
        deps.log.debug({ service: "Autotask", ticket: hook.ticketId }, "an Autotask ticket change without the trigger field's value: nothing to do");
        return [];
      }
      return [
        {
          deliveryId: autotaskDeliveryId(hook.guid, hook.ticketId, request.rawBody),
          ticket: String(hook.ticketId),
          raisedAt: request.receivedAt,
          agent: hook.agentId === null ? null : String(hook.agentId),
          emailHint: null,
        },
      ];
    },
  };
}
