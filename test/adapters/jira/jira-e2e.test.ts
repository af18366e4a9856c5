import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS, type CallerKey } from "../../e2e/ticketing/world.js";
import { automationWebRequest, JSM_RULE_BODY } from "../../fakes/jira/jira-automation.js";
import { startFakeJira, type FakeJira } from "../../fakes/jira/fake-jira.js";

const SECRET = "jsm-automation-secret-0123456789abcdef";
const TICKETS = { jane: "ITS-101", sam: "ITS-102", priya: "ITS-103" } as const;
const ACCOUNTS = { jane: "qm:1111-jane", sam: "qm:2222-sam", priya: "qm:3333-priya" } as const;
const TECHNICIAN = "712020:aaaa-bbbb-technician";
let jira: FakeJira;

/** The documented rule body, plus the optional `id` so the suite can name its deliveries. */
const withId = (deliveryId: string) => JSM_RULE_BODY.replace(/\}$/, `,"id":"${deliveryId}"}`);

const press = async (base: string, secret: string | null, ticket: string, deliveryId: string, reporterEmail: string, now: Date) => {
  const { url, init } = automationWebRequest({
    verityBase: base,
    system: "desk",
    secret,
    template: withId(deliveryId),
    context: { issueKey: ticket, reporterEmail, initiator: TECHNICIAN, now },
  });
  return { status: (await fetch(url, init)).status };
};

const callerOf = (ticket: string): CallerKey => (Object.keys(TICKETS) as CallerKey[]).find((k) => TICKETS[k] === ticket) ?? "jane";

describeTicketingSystem({
  kind: "jira-service-management",
  vendor: "Jira Service Management",
  claimsContact: true,
  tickets: TICKETS,
  async start() {
    const who = ["jane", "sam", "priya"] as const;
    jira = await startFakeJira({
      users: [
        ...who.map((k) => ({ accountId: ACCOUNTS[k], displayName: CALLERS[k].name, emailAddress: CALLERS[k].upn, accountType: "customer" as const })),
        { accountId: TECHNICIAN, displayName: "Tess Technician", emailAddress: "tess@msp.example" },
      ],
      requests: who.map((k, i) => ({ issueId: String(10_101 + i), issueKey: TICKETS[k], summary: `Password reset for ${k}`, reporter: ACCOUNTS[k] })),
    });
    return {
      kind: "jira-service-management",
      siteUrl: jira.siteUrl,
      auth: { kind: "basic", email: jira.email, apiToken: jira.apiToken },
      webhook: { kind: "token", header: "x-verity-secret", token: SECRET, allowedSources: ["127.0.0.1", "::1"] },
    };
  },
  stop: () => jira.close(),
  press: (w, { ticket, deliveryId, claimEmail }) => press(w.base, SECRET, ticket, deliveryId, claimEmail ?? CALLERS[callerOf(ticket)].upn, w.clock.now()),
  pressForged: (w, { ticket, deliveryId }) => press(w.base, "not-the-secret-0123456789abcdefghij", ticket, deliveryId, CALLERS.sam.upn, w.clock.now()),
  notes: (ticket) => jira.comments(ticket).map((c) => ({ text: c.body, internal: !c.public })),
  failNotes: () => jira.fail({ method: "POST", pathPattern: /\/comment$/ }),
  heal: () => jira.heal(),
});
