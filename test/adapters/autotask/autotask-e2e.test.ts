import { autotaskDeliveryId } from "../../../src/adapters/ticketing/autotask/autotask-webhook-payload.js";
import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS, type TicketingWorld } from "../../e2e/ticketing/world.js";
import { FAKE_WEBHOOK_GUID, signedAutotaskDelivery } from "../../fakes/autotask/autotask-webhooks.js";
import { FAKE_AUTOTASK_CREDENTIALS, startFakeAutotask, type FakeAutotask } from "../../fakes/autotask/fake-autotask.js";

const SECRET_KEY = "autotask-webhook-secret-key-0123456789";
const TICKETS = { jane: 7101, sam: 7102, priya: 7103 } as const;
const CONTACTS = { jane: 801, sam: 802, priya: 803 } as const;
const WHO = ["jane", "sam", "priya"] as const;
const TECHNICIAN = 29_682_885;
let autotask: FakeAutotask;

/** One delivery per test delivery id: sent twice, it is byte for byte the same (as Autotask's resend). */
const deliveries = new Map<string, { body: string; headers: Record<string, string>; recorded: string }>();
let sequence = 0;

const deliveryFor = (w: TicketingWorld, ticket: string, deliveryId: string) => {
  let d = deliveries.get(deliveryId);
  if (d === undefined) {
    sequence += 1;
    const signed = signedAutotaskDelivery({
      secretKey: SECRET_KEY,
      ticketId: Number(ticket),
      fields: { "Verify caller": "Yes" },
      personId: TECHNICIAN,
      eventTime: w.clock.now().toISOString(),
      sequenceNumber: sequence,
    });
    d = { ...signed, recorded: autotaskDeliveryId(FAKE_WEBHOOK_GUID, Number(ticket), signed.body) };
    deliveries.set(deliveryId, d);
  }
  return d;
};

const post = async (w: TicketingWorld, body: string, headers: Record<string, string>) =>
  ({ status: (await fetch(`${w.base}/hooks/ticketing/desk`, { method: "POST", headers, body })).status });

describeTicketingSystem({
  kind: "autotask",
  vendor: "Autotask",
  claimsContact: false,
  tickets: { jane: String(TICKETS.jane), sam: String(TICKETS.sam), priya: String(TICKETS.priya) },
  async start() {
    autotask = await startFakeAutotask({
      tickets: WHO.map((who) => ({ id: TICKETS[who], ticketNumber: `T20261207.${TICKETS[who]}`, title: `Reset for ${who}`, contactID: CONTACTS[who] })),
      contacts: WHO.map((who) => {
        const [firstName = "", lastName = ""] = CALLERS[who].name.split(" ");
        return { id: CONTACTS[who], firstName, lastName, emailAddress: CALLERS[who].upn };
      }),
      resources: [{ id: TECHNICIAN, firstName: "Terry", lastName: "Tech" }],
    });
    return {
      kind: "autotask",
      ...FAKE_AUTOTASK_CREDENTIALS,
      zoneDiscoveryUrl: autotask.discoveryUrl,
      triggerField: "Verify caller",
      triggerValue: "Yes",
      webhook: { secretKey: SECRET_KEY, allowedSources: ["127.0.0.1", "::1"] },
    };
  },
  stop: () => autotask.close(),
  press: (w, { ticket, deliveryId }) => {
    const d = deliveryFor(w, ticket, deliveryId);
    return post(w, d.body, d.headers);
  },
  pressForged(w, { ticket }) {
    const forged = signedAutotaskDelivery({ secretKey: "not-the-secret-key-0123456789abcdef", ticketId: Number(ticket), fields: { "Verify caller": "Yes" } });
    return post(w, forged.body, forged.headers);
  },
  recordedDeliveryId: (deliveryId) => deliveries.get(deliveryId)?.recorded ?? deliveryId,
  notes: (ticket) => autotask.notes(Number(ticket)).map((n) => ({ text: n.description, internal: n.publish === 2 })),
  failNotes: () => autotask.fail({ path: "/v1.0/Tickets/", method: "POST" }),
  heal: () => autotask.heal(),
});
