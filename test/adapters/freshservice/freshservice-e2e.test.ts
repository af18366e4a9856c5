import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS } from "../../e2e/ticketing/world.js";
import { startFakeFreshservice, type FakeFreshservice } from "../../fakes/freshservice/fake-freshservice.js";
import { postFreshserviceWebhook } from "../../fakes/freshservice/freshservice-webhooks.js";

const TOKEN = "fs-webhook-token-0123456789abcdef";
const TICKETS = { jane: 301, sam: 302, priya: 303 } as const;
const REQUESTERS = { jane: 11_001, sam: 11_002, priya: 11_003 } as const;
const WHO = ["jane", "sam", "priya"] as const;
let fs: FakeFreshservice;

const url = (base: string) => `${base}/hooks/ticketing/desk`;
const whose = (ticket: string) => WHO.find((k) => String(TICKETS[k]) === ticket) ?? "jane";

describeTicketingSystem({
  kind: "freshservice",
  vendor: "Freshservice",
  claimsContact: true,
  tickets: { jane: String(TICKETS.jane), sam: String(TICKETS.sam), priya: String(TICKETS.priya) },
  async start() {
    fs = await startFakeFreshservice({
      tickets: WHO.map((who) => ({ id: TICKETS[who], subject: `Reset for ${who}`, requester_id: REQUESTERS[who] })),
      requesters: WHO.map((who) => ({ id: REQUESTERS[who], first_name: CALLERS[who].name.split(" ")[0] ?? who, last_name: CALLERS[who].name.split(" ")[1], primary_email: CALLERS[who].upn })),
    });
    return {
      kind: "freshservice",
      baseUrl: fs.baseUrl,
      apiKey: fs.apiKey,
      webhook: { kind: "token", token: TOKEN, header: "X-Verity-Token", allowedSources: ["127.0.0.1", "::1"] },
    };
  },
  stop: () => fs.close(),
  async press(w, { ticket, deliveryId, claimEmail }) {
    const press = { ticketId: ticket, requesterEmail: claimEmail ?? CALLERS[whose(ticket)].upn, agentId: 9001, eventId: deliveryId };
    return postFreshserviceWebhook(url(w.base), press, { kind: "header", name: "X-Verity-Token", value: TOKEN });
  },
  async pressForged(w, { ticket, deliveryId }) {
    const press = { ticketId: ticket, requesterEmail: CALLERS.sam.upn, eventId: deliveryId };
    return postFreshserviceWebhook(url(w.base), press, { kind: "header", name: "X-Verity-Token", value: "not-the-token-0123456789abcdef" });
  },
  notes: (ticket) => fs.notes(Number(ticket)).map((n) => ({ text: n.body, internal: n.private })),
  failNotes: () => fs.fail({ path: "/api/v2/tickets/", method: "POST" }),
  heal: () => fs.heal(),
});
