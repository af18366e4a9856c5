import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createSnowTicketing, workNoteText } from "../../../src/adapters/ticketing/servicenow/servicenow-ticketing.js";
import type { TicketingSystem } from "../../../src/domain/ports.js";
import { CALLERS } from "../../e2e/ticketing/world.js";
import { startFakeServiceNow, type FakeSnow } from "../../fakes/servicenow/fake-servicenow.js";
import { rejectsWith, snowClient, snowWorld, sysId, USERS } from "./snow-test-setup.js";

const TICKETS = { jane: "INC0010001", sam: "INC0010002", priya: "SCTASK0010003" } as const;
const JANE = sysId("inc-jane");
const PRIYA_TASK = sysId("task-priya");

describe("ServiceNow as a TicketingSystem", () => {
  let fake: FakeSnow;
  let desk: TicketingSystem;
  const build = (overrides: Record<string, unknown> = {}, pageSize?: number) =>
    createSnowTicketing("desk", snowClient(fake, overrides, undefined, pageSize === undefined ? {} : { journalPageSize: pageSize }).client, snowClient(fake, overrides).config.tables);

  before(async () => {
    const tables = snowWorld(TICKETS);
    tables.incident?.push({ sys_id: sysId("inc-nobody"), number: "INC0010009", caller_id: "", work_notes: "", comments: "" });
    tables.sc_req_item?.push({ sys_id: sysId("ritm-sam"), number: "RITM0010004", requested_for: USERS.sam.sys_id as string });
    tables.sc_task?.push({ sys_id: sysId("task-orphan"), number: "SCTASK0010008", request_item: "", work_notes: "", comments: "" });
    tables.sc_task?.push({ sys_id: sysId("task-gone-ritm"), number: "SCTASK0010007", request_item: sysId("ritm-deleted"), work_notes: "", comments: "" });
    fake = await startFakeServiceNow({ tables });
  });
  beforeEach(() => {
    fake.heal();
    fake.state.journal.length = 0;
    desk = build();
  });
  after(() => fake.close());

  it("reads an incident's caller by number: email and name from sys_user, no directory id", async () => {
    assert.deepEqual(await desk.ticketContact("INC0010001"), { email: CALLERS.jane.upn, name: CALLERS.jane.name, directoryId: null });
    const query = fake.requests.find((r) => r.path === "/api/now/v2/table/incident")?.query;
    assert.equal(query?.sysparm_query, "number=INC0010001");
  });

  it("accepts a sys_id and a lower-case number for the same ticket", async () => {
    assert.equal((await desk.ticketContact(JANE)).email, CALLERS.jane.upn);
    assert.equal((await desk.ticketContact("inc0010001")).email, CALLERS.jane.upn);
  });

  it("reads a catalog task's contact from its requested item's requested_for", async () => {
    const before = fake.requests.length;
    assert.deepEqual(await desk.ticketContact(TICKETS.priya), { email: CALLERS.priya.upn, name: CALLERS.priya.name, directoryId: null });
    const paths = fake.requests.slice(before).map((r) => r.path);
    assert.deepEqual(paths, ["/api/now/v2/table/sc_task", `/api/now/v2/table/sc_req_item/${sysId("ritm-priya")}`, `/api/now/v2/table/sys_user/${USERS.priya.sys_id}`], "the SCTASK prefix goes to sc_task first");
  });

  it("reports no contact for a catalog task without a requested item, or whose item is gone", async () => {
    assert.deepEqual(await desk.ticketContact("SCTASK0010008"), { email: null, name: null, directoryId: null });
    assert.deepEqual(await desk.ticketContact("SCTASK0010007"), { email: null, name: null, directoryId: null });
  });

  it("reads a requested item only when sc_req_item is configured", async () => {
    await rejectsWith(desk.ticketContact("RITM0010004"), "TICKET_NOT_FOUND");
    const withRitm = build({ tables: ["incident", "sc_task", "sc_req_item"] });
    assert.equal((await withRitm.ticketContact("RITM0010004")).email, CALLERS.sam.upn);
  });

  it("reports a ticket without a caller as no contact, not as a missing ticket (v2 answers empty queries with [])", async () => {
    const before = fake.requests.length;
    assert.deepEqual(await desk.ticketContact("INC0010009"), { email: null, name: null, directoryId: null });
    await rejectsWith(desk.ticketContact("INC0099999"), "TICKET_NOT_FOUND");
    await rejectsWith(desk.ticketContact("not a ticket"), "TICKET_NOT_FOUND");
    assert.ok(fake.requests.slice(before).every((r) => r.outcome !== 404 && r.path.startsWith("/api/now/v2/")), "no call relied on v1's 404 for an empty result");
  });

  it("writes plain-text work notes, never comments, and keeps the link openable", async () => {
    const html = '<p><b>Verity: caller VERIFIED</b></p><ul><li>Audit hash: abc123</li></ul><p>Next: <a href="https://verity.example/v/1#t=xyz">Open the verification in Verity</a>.</p>';
    await desk.addPrivateNote({ ticket: TICKETS.jane, html });
    const patch = fake.requests.find((r) => r.method === "PATCH");
    assert.equal(patch?.path, `/api/now/v2/table/incident/${JANE}`);
    const body = JSON.parse(patch?.body ?? "{}") as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ["work_notes"]);
    const [entry, ...more] = fake.journal(JANE);
    assert.deepEqual(more, []);
    assert.equal(entry?.element, "work_notes");
    assert.equal(entry?.value, "Verity: caller VERIFIED\n- Audit hash: abc123\nNext: Open the verification in Verity: https://verity.example/v/1#t=xyz");
    assert.equal(fake.record("incident", JANE)?.work_notes, "", "the journal is not a field on the record");
    assert.equal(workNoteText('<p>See <a href="https://a.example/x">the page</a>.</p>'), "See the page: https://a.example/x");
  });

  it("writes to the catalog task itself, not its requested item", async () => {
    await desk.addPrivateNote({ ticket: TICKETS.priya, html: "<p>started</p>" });
    assert.equal(fake.journal(PRIYA_TASK)[0]?.name, "sc_task");
  });

  it("finds a note by its marker in sys_journal_field, with LIKE on the server and an exact check here", async () => {
    await desk.addPrivateNote({ ticket: TICKETS.jane, html: "<p>note evt-42</p>" });
    assert.equal(await desk.hasNoteWith(TICKETS.jane, "evt-42"), true);
    assert.equal(await desk.hasNoteWith(TICKETS.jane, "evt-43"), false, "no rows is false, not 'cannot tell'");
    const read = fake.requests.filter((r) => r.path === "/api/now/v2/table/sys_journal_field").at(-1);
    assert.equal(read?.query.sysparm_query, `element_id=${JANE}^element=work_notes^valueLIKEevt-43^ORDERBYsys_created_on`);
  });

  it("pages through sys_journal_field until the marker is found (LIKE ignores case; the check does not)", async () => {
    const paged = build({}, 2);
    for (let i = 0; i < 4; i += 1) await desk.addPrivateNote({ ticket: TICKETS.sam, html: `<p>decoy EVT-7 ${i}</p>` });
    await desk.addPrivateNote({ ticket: TICKETS.sam, html: "<p>the one evt-7</p>" });
    const before = fake.requests.length;
    assert.equal(await paged.hasNoteWith(TICKETS.sam, "evt-7"), true);
    const offsets = fake.requests.slice(before).filter((r) => r.path.endsWith("sys_journal_field")).map((r) => r.query.sysparm_offset);
    assert.deepEqual(offsets, ["0", "2", "4"]);
    assert.equal(await paged.hasNoteWith(TICKETS.sam, "evt-8"), false);
  });

  it("ignores comments (customer-visible) when looking for a note", async () => {
    fake.state.journal.push({ sys_id: sysId("j-comment"), element_id: JANE, element: "comments", name: "incident", value: "evt-99", sys_created_on: "2026-01-01 00:00:00", sys_created_by: "x" });
    assert.equal(await desk.hasNoteWith(TICKETS.jane, "evt-99"), false);
  });

  it("says it cannot tell (null) when the journal cannot be read", async () => {
    fake.fail("forbidden", { path: "/api/now/v2/table/sys_journal_field" });
    assert.equal(await desk.hasNoteWith(TICKETS.jane, "evt-1"), null);
  });

  it("names the agent by user_name or sys_id, and null for an unknown one", async () => {
    assert.equal(await desk.agentName?.("beth.anglin"), "Beth Anglin");
    assert.equal(await desk.agentName?.(USERS.agent.sys_id as string), "Beth Anglin");
    assert.equal(await desk.agentName?.("nobody.here"), null);
    fake.fail("down");
    assert.equal(await desk.agentName?.("beth.anglin"), null);
  });

  it("passes an outage on as retryable", async () => {
    fake.fail("down");
    const error = await rejectsWith(build({}, undefined).ticketContact("INC0010002"), "TICKETING_UNAVAILABLE");
    assert.equal(error.retryable, true);
  });
});
