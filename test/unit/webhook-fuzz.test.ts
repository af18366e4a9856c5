import { describe, it } from "node:test";
import fc from "fast-check";
import { computeTwilioSignature, validateTwilioSignature } from "../../src/adapters/channel/twilio-sms/twilio-signature.js";
import { parseStatusCallback } from "../../src/adapters/channel/twilio-sms/twilio-status-callback.js";
import { checkWebhookCredentials } from "../../src/adapters/ticketing/shared/webhook-auth.js";
import { parseHaloWebhook } from "../../src/adapters/ticketing/halopsa/halopsa-webhook-payload.js";
import { Secret } from "../../src/config/secret.js";
import { isVerityError } from "../../src/domain/errors.js";

/**
 * SECURITY.md R9: every parser of what arrives from outside either reads its input or refuses it
 * with a typed 4xx error; none throws anything else. Each property runs a few thousand cases.
 */
const RUNS = { numRuns: 3000 };

/** A body that parses, or a typed client error: never a crash or a 5xx. */
function readsOrRefuses(body: unknown): boolean {
  try {
    const parsed = parseHaloWebhook(body);
    if (parsed.format === "runbook") return parsed.deliveries.every((d) => Number.isSafeInteger(d.ticketId) && d.ticketId > 0 && d.deliveryId.length > 0);
    return Number.isSafeInteger(parsed.ticketId) && parsed.ticketId > 0;
  } catch (error) {
    return isVerityError(error) && error.status >= 400 && error.status < 500;
  }
}

/** Values shaped like the runbook body, with every field sometimes wrong. */
const runbookish = fc.array(
  fc.record(
    {
      id: fc.oneof(fc.uuid(), fc.string(), fc.integer(), fc.constant(null)),
      timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), fc.integer()),
      content: fc.oneof(
        fc.record(
          {
            HaloUser: fc.oneof(fc.emailAddress(), fc.string(), fc.constant(null)),
            TicketID: fc.oneof(fc.integer(), fc.string(), fc.stringMatching(/^\d{1,14}$/), fc.double()),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  ),
  { maxLength: 4 },
);

/** Values shaped like Halo's own payload. */
const haloish = fc.record(
  {
    id: fc.oneof(fc.uuid(), fc.string()),
    event: fc.string(),
    object_id: fc.oneof(fc.integer(), fc.string()),
    agent_id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
    ticket: fc.oneof(fc.record({ id: fc.oneof(fc.integer(), fc.string()), user: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

describe("webhook parsers under random input", () => {
  it("HaloPSA bodies: any JSON value parses or is refused with a 4xx", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), readsOrRefuses), RUNS);
  });

  it("HaloPSA bodies: near-valid runbook and Halo payloads parse or are refused with a 4xx", () => {
    fc.assert(fc.property(fc.oneof(runbookish, haloish), readsOrRefuses), RUNS);
  });

  it("HaloPSA bodies: prototype keys are refused with a 4xx and pollute nothing", () => {
    fc.assert(
      fc.property(runbookish, fc.constantFrom("__proto__", "constructor", "prototype"), fc.nat(4), (body, key, at) => {
        const items = body.map((b) => JSON.stringify(b));
        items.splice(Math.min(at, items.length), 0, `{"${key}":{"polluted":true}}`);
        const poisoned = JSON.parse(`[${items.join(",")}]`) as unknown;
        try {
          parseHaloWebhook(poisoned);
          return false;
        } catch (error) {
          return isVerityError(error) && error.status === 422 && (Object.prototype as Record<string, unknown>).polluted === undefined;
        }
      }),
      { numRuns: 500 },
    );
  });

  it("HaloPSA credentials: random headers give a boolean, true only for the exact secret", () => {
    const config = { kind: "token" as const, token: new Secret("t".repeat(32)) };
    const headerValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("authorization", "Authorization", "x-verity-token", "X-Verity-Token", "other"), headerValue), (headers) => {
        const result = checkWebhookCredentials(config, headers);
        return result === false || Object.values(headers).some((v) => typeof v === "string" && v.includes("t".repeat(32)));
      }),
      RUNS,
    );
  });

  it("Twilio signatures: random URLs, forms and headers give a boolean, true only for the real signature", () => {
    const form = fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })), { maxKeys: 6 });
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), form, fc.option(fc.string()), (url, params, signature) => {
        const token = "auth-token-0123456789abcdef";
        const forged = validateTwilioSignature({ authToken: token, url, params, signature: signature ?? undefined });
        const real = validateTwilioSignature({ authToken: token, url, params, signature: computeTwilioSignature(token, url, params) });
        return real && (forged === false || signature === computeTwilioSignature(token, url, params));
      }),
      { numRuns: 1000 },
    );
  });

  it("Twilio status callbacks: any form is read or ignored, never thrown on", () => {
    const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
    const value = (key: string) =>
      key === "MessageSid"
        ? fc.oneof(fc.string(), hex32.map((h) => `SM${h}`))
        : key === "AccountSid"
          ? fc.oneof(fc.string(), hex32.map((h) => `AC${h}`))
          : key === "MessageStatus"
            ? fc.oneof(fc.string(), fc.constantFrom("queued", "sent", "delivered", "undelivered", "failed"))
            : fc.string();
    const keys = ["MessageSid", "AccountSid", "MessageStatus", "ErrorCode", "To"];
    const form = fc.record(Object.fromEntries(keys.map((k) => [k, value(k)])), { requiredKeys: [] });
    fc.assert(
      fc.property(form, (params) => {
        const parsed = parseStatusCallback(params);
        return parsed === null || /^(SM|MM)/.test(parsed.messageSid);
      }),
      RUNS,
    );
  });
});
