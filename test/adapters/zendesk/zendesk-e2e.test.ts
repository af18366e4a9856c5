import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS } from "../../e2e/ticketing/world.js";
import { startFakeZendesk, type FakeZendesk } from "../../fakes/zendesk/fake-zendesk.js";
import { postZendeskWebhook, zendeskDelivery } from "../../fakes/zendesk/zendesk-webhooks.js";

const SECRET = "zd-signing-secret-rV3nq8Qe2b1Kc0xYz";
const TICKETS = { jane: 4401, sam: 4402, priya: 4403 } as const;
const USERS = { jane: 7001, sam: 7002, priya: 7003 } as const;
const WHO = ["jane", "sam", "priya"] as const;
let zd: FakeZendesk;

const url = (base: string) => `${base}/hooks/ticketing/desk`;
const whose = (ticket: string) => WHO.find((k) => String(TICKETS[k]) === ticket) ?? "jane";

describeTicketingSystem({
  kind: "zendesk",
  vendor: "Zendesk",
  claimsContact: true,
  tickets: { jane: String(TICKETS.jane), sam: String(TICKETS.sam), priya: String(TICKETS.priya) },
  async start() {
    zd = await startFakeZendesk({
      tickets: WHO.map((who) => ({ id: TICKETS[who], subject: `Reset for ${who}`, requester_id: USERS[who] })),
      users: WHO.map((who) => ({ id: USERS[who], name: CALLERS[who].name, email: CALLERS[who].upn, role: "end-user" as const })),
    });
    return {
      kind: "zendesk",
      baseUrl: zd.baseUrl,
      auth: { kind: "token", email: zd.agent.email, apiToken: zd.agent.apiToken },
      webhook: { signingSecret: SECRET, allowedSources: ["127.0.0.1", "::1"] },
    };
  },
  stop: () => zd.close(),
  async press(w, { ticket, deliveryId, claimEmail }) {
    const press = { ticketId: ticket, requesterEmail: claimEmail ?? CALLERS[whose(ticket)].upn, agentId: zd.agent.id };
    return postZendeskWebhook(url(w.base), zendeskDelivery(press, { secret: SECRET, at: w.clock.now(), invocationId: deliveryId }));
  },
  async pressForged(w, { ticket, deliveryId }) {
    const press = { ticketId: ticket, requesterEmail: CALLERS.sam.upn };
    return postZendeskWebhook(url(w.base), zendeskDelivery(press, { secret: "not-the-signing-secret", at: w.clock.now(), invocationId: deliveryId }));
  },
  notes: (ticket) => zd.notes(Number(ticket)).map((n) => ({ text: n.html_body, internal: !n.public })),
  failNotes: () => zd.fail({ path: "/api/v2/tickets/", method: "PUT" }),
  heal: () => zd.heal(),
});
