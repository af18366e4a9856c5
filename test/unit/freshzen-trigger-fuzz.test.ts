import { describe, it } from "node:test";
import fc from "fast-check";
import { parseFreshserviceTrigger } from "../../src/adapters/ticketing/freshservice/freshservice-trigger.js";
import { zendeskSignatureMatches } from "../../src/adapters/ticketing/zendesk/zendesk-signature.js";
import { parseZendeskTrigger } from "../../src/adapters/ticketing/zendesk/zendesk-trigger.js";
import { isVerityError } from "../../src/domain/errors.js";

const RUNS = { numRuns: 1000 };
const AT = new Date("2026-12-07T01:00:00Z");

/** JSON-ish bodies near the accepted shape, and arbitrary bytes. */
const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc
    .record(
      {
        ticket_id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null), fc.double()),
        requester_email: fc.oneof(fc.string({ maxLength: 40 }), fc.emailAddress(), fc.constant(null)),
        agent_id: fc.oneof(fc.integer(), fc.string({ maxLength: 12 }), fc.object()),
        event_id: fc.oneof(fc.string({ maxLength: 140 }), fc.integer()),
        timestamp: fc.oneof(fc.string({ maxLength: 30 }), fc.double(), fc.integer()),
      },
      { requiredKeys: [] },
    )
    .map((o) => Buffer.from(JSON.stringify(o))),
  fc.json().map((j) => Buffer.from(j)),
);

/** A parser either returns a well-formed event or throws a typed 4xx, nothing else. */
const wellBehaved = (parse: () => { ticket: string; deliveryId: string }) => {
  try {
    const event = parse();
    return /^\d{1,18}$/.test(event.ticket) && event.deliveryId.length > 0 && event.deliveryId.length <= 200;
  } catch (error) {
    return isVerityError(error) && error.status >= 400 && error.status < 500;
  }
};

describe("Freshservice and Zendesk trigger parsers under random input", () => {
  it("Freshservice: any body gives a numeric ticket and a bounded delivery id, or a typed 4xx", () => {
    fc.assert(
      fc.property(body, (rawBody) => wellBehaved(() => parseFreshserviceTrigger({ rawBody, receivedAt: AT }))),
      RUNS,
    );
  });

  it("Zendesk: any body and invocation id give a numeric ticket, or a typed 4xx", () => {
    fc.assert(
      fc.property(body, fc.option(fc.string({ maxLength: 150 })), (rawBody, invocation) => {
        const headers = invocation === null ? {} : { "x-zendesk-webhook-invocation-id": invocation };
        return wellBehaved(() => parseZendeskTrigger({ headers, rawBody }));
      }),
      RUNS,
    );
  });

  it("Zendesk signatures: random headers and bodies give false unless the signature is the real one", () => {
    const headerValue = fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp", "other"), headerValue),
        fc.uint8Array({ maxLength: 100 }),
        (headers, bytes) => zendeskSignatureMatches("dGVzdHNlY3JldA", headers, Buffer.from(bytes)) === false,
      ),
      RUNS,
    );
  });
});
