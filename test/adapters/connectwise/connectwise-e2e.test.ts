import { deliverCallback } from "../../fakes/connectwise/connectwise-callbacks.js";
import { startFakeConnectWise, type FakeConnectWise } from "../../fakes/connectwise/fake-connectwise.js";
import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS } from "../../e2e/ticketing/world.js";

const TICKETS = { jane: 8101, sam: 8102, priya: 8103 } as const;
const CONTACTS = { jane: 901, sam: 902, priya: 903 } as const;
let cw: FakeConnectWise;

const split = (name: string) => {
  const [firstName = "", ...rest] = name.split(" ");
  return { firstName, lastName: rest.join(" ") };
};

describeTicketingSystem({
  kind: "connectwise",
  vendor: "ConnectWise PSA",
  claimsContact: false,
  tickets: { jane: String(TICKETS.jane), sam: String(TICKETS.sam), priya: String(TICKETS.priya) },
  async start() {
    cw = await startFakeConnectWise({
      // Jane's ticket carries her email; Sam's and Priya's only name the contact, whose email is in communicationItems.
      tickets: (["jane", "sam", "priya"] as const).map((who) => ({
        id: TICKETS[who],
        summary: `Reset for ${who}`,
        contact: { id: CONTACTS[who], name: CALLERS[who].name },
        status: { id: 42, name: "Verify caller" },
        ...(who === "jane" ? { contactEmailAddress: CALLERS[who].upn } : {}),
      })),
      contacts: (["jane", "sam", "priya"] as const).map((who) => ({
        id: CONTACTS[who],
        ...split(CALLERS[who].name),
        communicationItems: [{ id: CONTACTS[who], type: { id: 1, name: "Email" }, value: CALLERS[who].upn, defaultFlag: true, communicationType: "Email" as const }],
      })),
    });
    return {
      kind: "connectwise",
      apiUrl: cw.apiUrl,
      companyId: cw.companyId,
      publicKey: cw.publicKey,
      privateKey: cw.privateKey,
      clientId: cw.clientId,
      callback: { keyOrigins: [cw.origin], ignoreMembers: ["VerityAPI"], statuses: ["Verify caller"] },
    };
  },
  stop: () => cw.close(),
  async press(w, { ticket, deliveryId }) {
    const callback = cw.callback({ ticketId: Number(ticket), messageId: deliveryId, memberId: "jtech" });
    return { status: (await deliverCallback(`${w.base}/hooks/ticketing/desk`, callback)).status };
  },
  async pressForged(w, { ticket, deliveryId }) {
    const callback = cw.callback({ ticketId: Number(ticket), messageId: deliveryId, signingKey: "not-the-signing-key" });
    return { status: (await deliverCallback(`${w.base}/hooks/ticketing/desk`, callback)).status };
  },
  notes: (ticket) => cw.notes(Number(ticket)).map((n) => ({ text: n.text, internal: n.internalAnalysisFlag && !n.detailDescriptionFlag && !n.resolutionFlag })),
  failNotes: () => cw.fail("down", { path: "/v4_6_release/apis/3.0/service/tickets/", method: "POST" }),
  heal: () => cw.heal(),
});
