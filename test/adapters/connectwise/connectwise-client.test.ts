import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { ConnectWiseClient } from "../../../src/adapters/ticketing/connectwise/connectwise-client.js";
import { createConnectWiseTicketing } from "../../../src/adapters/ticketing/connectwise/connectwise-ticketing.js";
import type { TicketingSystem } from "../../../src/domain/ports.js";
import { API_PREFIX, startFakeConnectWise, type FakeConnectWise } from "../../fakes/connectwise/fake-connectwise.js";
import { cwClient, rejectsWith } from "./cw-test-setup.js";

const NOTE_HTML = '<p><b>Verity: caller VERIFIED</b></p><ul><li>Caller: Jane &amp; co</li></ul><p>Open <a href="https://verity.example/v/1">it</a>.</p><p><small>event 5f0c</small></p>';

describe("ConnectWise client and TicketingSystem", () => {
  let cw: FakeConnectWise;
  let client: ConnectWiseClient;
  let system: TicketingSystem;
  before(async () => {
    cw = await startFakeConnectWise();
    client = cwClient(cw).client;
    system = createConnectWiseTicketing("desk", client);
  });
  after(async () => {
    await client.close();
    await cw.close();
  });
  afterEach(() => cw.heal());

  it("sends Basic companyId+publicKey:privateKey and the clientId header on every call", async () => {
    await client.getTicket(7001);
    const request = cw.requests.at(-1);
    const expected = `Basic ${Buffer.from(`${cw.companyId}+${cw.publicKey}:${cw.privateKey}`).toString("base64")}`;
    assert.equal(request?.headers.authorization, expected);
    assert.equal(request?.headers.clientid, cw.clientId);
    assert.equal(request?.path, `${API_PREFIX}/service/tickets/7001`);
  });

  it("takes the contact's email from the ticket when it carries one", async () => {
    const before = cw.count("GET", "/company/contacts");
    assert.deepEqual(await system.ticketContact("7001"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" });
    assert.equal(cw.count("GET", "/company/contacts"), before, "no contact read needed");
  });

  it("otherwise reads the contact and takes its default Email communication item", async () => {
    assert.deepEqual(await system.ticketContact("7002"), { email: "sam.smith@contoso.example", directoryId: null, name: "Sam Smith" });
    assert.equal(cw.count("GET", "/company/contacts/302"), 1);
  });

  it("takes the first email when none is the default, and null when the contact has none", async () => {
    cw.state.contacts.set(302, {
      id: 302,
      firstName: "Sam",
      communicationItems: [
        { id: 8, type: { id: 2, name: "Direct" }, value: "4255550133", defaultFlag: true, communicationType: "Phone" },
        { id: 9, type: { id: 1, name: "Email" }, value: "sam.first@contoso.example", defaultFlag: false, communicationType: "Email" },
      ],
    });
    assert.equal((await system.ticketContact("7002")).email, "sam.first@contoso.example");
    cw.state.contacts.set(302, { id: 302, firstName: "Sam" });
    assert.equal((await system.ticketContact("7002")).email, null);
  });

  it("reports a ticket without a contact as having no email", async () => {
    assert.deepEqual(await system.ticketContact("7003"), { email: null, directoryId: null, name: null });
  });

  it("maps a missing ticket to TICKET_NOT_FOUND and a non-number without calling ConnectWise", async () => {
    await rejectsWith(system.ticketContact("9999"), "TICKET_NOT_FOUND");
    const before = cw.requests.length;
    await rejectsWith(system.ticketContact("12; DROP"), "TICKET_NOT_FOUND");
    assert.equal(cw.requests.length, before);
  });

  it("posts an internal note as plain text with internalAnalysisFlag only", async () => {
    await system.addPrivateNote({ ticket: "7001", html: NOTE_HTML });
    const note = cw.notes(7001).at(-1);
    assert.equal(note?.text, "Verity: caller VERIFIED\n- Caller: Jane & co\nOpen it: https://verity.example/v/1\nevent 5f0c");
    const sent = JSON.parse(cw.requests.at(-1)?.body ?? "{}") as Record<string, unknown>;
    assert.deepEqual(Object.keys(sent).sort(), ["detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "text"]);
    assert.equal(sent.internalAnalysisFlag, true);
    assert.equal(sent.detailDescriptionFlag, false);
    assert.equal(sent.resolutionFlag, false);
    assert.equal(cw.requests.at(-1)?.headers["content-type"], "application/json; charset=utf-8");
  });

  it("finds a note by its marker across pages, following page/pageSize until a short page", async () => {
    for (let i = 0; i < 230; i += 1) cw.state.notes.push({ ...structuredClone(cw.notes(7001)[0]!), id: 50_000 + i, ticketId: 7002, text: `filler ${i}` });
    cw.state.notes.push({ ...structuredClone(cw.notes(7001)[0]!), id: 60_000, ticketId: 7002, text: "… marker-abc123 …" });
    const before = cw.requests.length;
    assert.equal(await system.hasNoteWith("7002", "marker-abc123"), true);
    const pages = cw.requests.slice(before).map((r) => new URLSearchParams(r.query));
    assert.deepEqual(pages.map((q) => [q.get("page"), q.get("pageSize")]), [["1", "100"], ["2", "100"], ["3", "100"]]);
    assert.equal(await system.hasNoteWith("7002", "marker-missing"), false);
  });

  it("says null rather than false when the notes cannot be read", async () => {
    cw.fail("down", { path: `${API_PREFIX}/service/tickets/7002/notes`, method: "GET" });
    assert.equal(await system.hasNoteWith("7002", "marker-abc123"), null);
  });

  it("honours a 429's Retry-After on reads, then succeeds", async () => {
    cw.throttle(1, { path: `${API_PREFIX}/service/tickets/7001`, method: "GET", retryAfterSeconds: 1 });
    const before = cw.count("GET", "/service/tickets/7001");
    const started = Date.now();
    await client.getTicket(7001);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(cw.count("GET", "/service/tickets/7001") - before, 2);
  });

  it("retries a throttled note (nothing was created) and posts it once", async () => {
    const before = cw.notes(7001).length;
    cw.throttle(1, { path: `${API_PREFIX}/service/tickets/7001/notes`, method: "POST" });
    await system.addPrivateNote({ ticket: "7001", html: "<p>once</p>" });
    assert.equal(cw.notes(7001).length, before + 1);
  });

  it("reports a 503 on a note as retryable and possibly created, without posting again", async () => {
    cw.fail("down", { path: `${API_PREFIX}/service/tickets/7001/notes`, method: "POST" });
    const before = cw.count("POST", "/service/tickets/7001/notes");
    const error = await rejectsWith(system.addPrivateNote({ ticket: "7001", html: "<p>x</p>" }), "TICKETING_UNAVAILABLE");
    assert.equal(error.retryable, true);
    assert.deepEqual(error.details, { operation: "note", status: 503, ambiguous: true });
    assert.equal(cw.count("POST", "/service/tickets/7001/notes") - before, 1);
  });

  it("maps a 403 to UPSTREAM_AUTH_FAILED naming the security-role permission", async () => {
    cw.fail("forbidden", { method: "POST" });
    const error = await rejectsWith(system.addPrivateNote({ ticket: "7001", html: "<p>x</p>" }), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /Service Tickets/);
    assert.match(error.message, /You do not have access to this record/);
  });

  it("reads a member by id or by identifier for agentName, null when unknown", async () => {
    assert.equal(await system.agentName?.("151"), "Jamie Tech");
    assert.equal(await system.agentName?.("jtech"), "Jamie Tech");
    assert.equal(new URLSearchParams(cw.requests.at(-1)?.query).get("conditions"), 'identifier="jtech"');
    assert.equal(await system.agentName?.("nobody"), null);
    assert.equal(await system.agentName?.('x" or 1=1'), null);
  });

  it("probes with one read of one ticket and writes nothing", async () => {
    const notes = cw.state.notes.length;
    const result = await system.probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.equal(new URLSearchParams(cw.requests.at(-1)?.query).get("pageSize"), "1");
    assert.equal(cw.state.notes.length, notes);
  });
});

describe("ConnectWise client: credentials refused", () => {
  let cw: FakeConnectWise;
  before(async () => {
    cw = await startFakeConnectWise();
  });
  after(() => cw.close());

  it("maps a wrong private key to UPSTREAM_AUTH_FAILED quoting ConnectWise's message, and a probe says so", async () => {
    const { client } = cwClient(cw, { privateKey: "wrong-private-key" });
    const error = await rejectsWith(client.getTicket(7001), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /HTTP 401: Unauthorized — Authentication failed/);
    assert.ok(!error.message.includes("wrong-private-key"), "no secret in the message");
    const probe = await createConnectWiseTicketing("desk", client).probe?.();
    assert.equal(probe?.ok, false);
    assert.match(probe?.detail ?? "", /publicKey and privateKey/);
    await client.close();
  });

  it("reports a note whose answer never came as possibly created, and does not post it twice", async () => {
    const { client } = cwClient(cw, { timeoutMs: 300 });
    cw.fail("hang", { path: `${API_PREFIX}/service/tickets/7001/notes`, method: "POST" });
    try {
      const error = await rejectsWith(createConnectWiseTicketing("desk", client).addPrivateNote({ ticket: "7001", html: "<p>slow</p>" }), "TICKETING_UNAVAILABLE");
      assert.deepEqual(error.details, { operation: "note", ambiguous: true });
      assert.equal(cw.count("POST", "/service/tickets/7001/notes"), 1);
      assert.equal(cw.notes(7001).length, 1, "the fake processed it: the note exists although no answer came");
    } finally {
      cw.heal();
      await client.close();
    }
  });

  it("maps an unknown clientId to UPSTREAM_AUTH_FAILED", async () => {
    const { client } = cwClient(cw, { clientId: "00000000-0000-4000-8000-000000000000" });
    const error = await rejectsWith(client.getTicket(7001), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /clientId/);
    await client.close();
  });
});
