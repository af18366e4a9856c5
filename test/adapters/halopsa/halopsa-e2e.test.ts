import { startFakeHalo, type FakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { basicAuthorization, runbookBody } from "../../fakes/halopsa/halo-webhooks.js";
import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS } from "../../e2e/ticketing/world.js";

const WEBHOOK = { username: "halo-webhook", password: "a-long-webhook-password-0123456789" };
const TICKETS = { jane: 5101, sam: 5102, priya: 5103 } as const;
const HALO_USERS = { jane: 601, sam: 602, priya: 603 } as const;
let halo: FakeHalo;

const send = (base: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${base}/hooks/ticketing/desk`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describeTicketingSystem({
  kind: "halopsa",
  vendor: "HaloPSA",
  claimsContact: true,
  tickets: { jane: String(TICKETS.jane), sam: String(TICKETS.sam), priya: String(TICKETS.priya) },
  async start() {
    halo = await startFakeHalo({
      tickets: (["jane", "sam", "priya"] as const).map((who) => ({ id: TICKETS[who], summary: `Reset for ${who}`, user_id: HALO_USERS[who], client_id: 1 })),
      users: (["jane", "sam", "priya"] as const).map((who) => ({ id: HALO_USERS[who], name: CALLERS[who].name, emailaddress: CALLERS[who].upn, client_id: 1 })),
    });
    return {
      kind: "halopsa",
      authUrl: halo.authUrl,
      apiUrl: halo.apiUrl,
      clientId: "verity-client",
      clientSecret: "verity-secret-0123456789",
      webhook: { kind: "basic", ...WEBHOOK, allowedSources: ["127.0.0.1", "::1"] },
    };
  },
  stop: () => halo.close(),
  async press(w, { ticket, deliveryId, claimEmail }) {
    const who = (Object.keys(TICKETS) as (keyof typeof TICKETS)[]).find((k) => String(TICKETS[k]) === ticket) ?? "jane";
    const body = runbookBody([{ email: claimEmail ?? CALLERS[who].upn, ticketId: Number(ticket), id: deliveryId, timestamp: w.clock.now().toISOString() }]);
    return { status: (await send(w.base, body, { authorization: basicAuthorization(WEBHOOK.username, WEBHOOK.password) })).status };
  },
  async pressForged(w, { ticket, deliveryId }) {
    const body = runbookBody([{ email: CALLERS.sam.upn, ticketId: Number(ticket), id: deliveryId, timestamp: w.clock.now().toISOString() }]);
    return { status: (await send(w.base, body, { authorization: basicAuthorization(WEBHOOK.username, "not-the-password-0123456789") })).status };
  },
  notes: (ticket) => halo.notes(Number(ticket)).map((n) => ({ text: n.note_html, internal: n.hiddenfromuser && !n.sendemail })),
  failNotes: () => halo.fail("down", { path: "/api/actions", method: "POST" }),
  heal: () => halo.heal(),
});
