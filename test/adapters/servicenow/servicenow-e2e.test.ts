import { describeTicketingSystem } from "../../e2e/ticketing/conformance.js";
import { CALLERS, type CallerKey } from "../../e2e/ticketing/world.js";
import { startFakeServiceNow, type FakeSnow } from "../../fakes/servicenow/fake-servicenow.js";
import { pressUiAction } from "../../fakes/servicenow/servicenow-ui-action.js";
import { SNOW_OAUTH, snowWorld, WEBHOOK_SECRET } from "./snow-test-setup.js";

const TICKETS = { jane: "INC0010001", sam: "INC0010002", priya: "SCTASK0010003" } as const;
let snow: FakeSnow;

const whose = (ticket: string): CallerKey => (Object.keys(TICKETS) as CallerKey[]).find((k) => TICKETS[k] === ticket) ?? "jane";
const tableOf = (ticket: string) => (ticket.startsWith("SCTASK") ? "sc_task" : "incident");

describeTicketingSystem({
  kind: "servicenow",
  vendor: "ServiceNow",
  claimsContact: true,
  tickets: TICKETS,
  async start() {
    snow = await startFakeServiceNow({ tables: snowWorld(TICKETS) });
    return {
      kind: "servicenow",
      instanceUrl: snow.instanceUrl,
      auth: { kind: "oauth", ...SNOW_OAUTH, grant: "client_credentials" },
      webhook: { kind: "standard-webhooks", secret: WEBHOOK_SECRET, allowedSources: ["127.0.0.1", "::1"] },
    };
  },
  stop: () => snow.close(),
  async press(w, { ticket, deliveryId, claimEmail }) {
    const press = {
      table: tableOf(ticket),
      number: ticket,
      requestedBy: "beth.anglin",
      callerEmail: claimEmail ?? CALLERS[whose(ticket)].upn,
      id: deliveryId,
      timestampSeconds: Math.floor(w.clock.now().getTime() / 1000),
    };
    return pressUiAction(`${w.base}/hooks/ticketing/desk`, press, { kind: "standard-webhooks", secret: WEBHOOK_SECRET });
  },
  async pressForged(w, { ticket, deliveryId }) {
    const press = { table: tableOf(ticket), number: ticket, requestedBy: "beth.anglin", id: deliveryId, timestampSeconds: Math.floor(w.clock.now().getTime() / 1000) };
    return pressUiAction(`${w.base}/hooks/ticketing/desk`, press, { kind: "standard-webhooks", secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}` });
  },
  notes: (ticket) => {
    const sysId = [...snow.state.tables.values()].flatMap((t) => [...t.values()]).find((r) => r.number === ticket)?.sys_id ?? "";
    return snow.journal(sysId).map((j) => ({ text: j.value, internal: j.element === "work_notes" }));
  },
  failNotes: () => snow.fail("down", { method: "PATCH" }),
  heal: () => snow.heal(),
});
