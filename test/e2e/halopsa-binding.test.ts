import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { basicAuthorization, haloTicketPayload, runbookBody } from "../fakes/halopsa/halo-webhooks.js";
import { waitFor } from "../helpers/engine.js";
import { latestOnTicket, PEOPLE, startFlow, TICKETS, WEBHOOK, type Flow } from "./halopsa-flow.js";

const auth = { authorization: basicAuthorization(WEBHOOK.username, WEBHOOK.password) };

/**
 * Issue 9 #2, #3, #9, #25 and #26: who a HaloPSA ticket is for comes from Halo only, evidence goes
 * only to tickets Halo confirms are the caller's, presses must be fresh and unique, and an outage of
 * Halo holds the text (visibly) instead of skipping the check.
 */
describe("HaloPSA ticket binding", () => {
  let f: Flow;
  let token = "";
  before(async () => {
    f = await startFlow();
    token = (await f.runtime.tokens.create({ name: "Tina Technician", role: "technician", tenants: null }, { id: "cli:test", name: "test", role: "admin", tenants: null })).token;
  });
  after(() => f.close());
  // Each test's verifications are newer than the last test's (the flow's clock is a fake).
  beforeEach(() => f.clock.advance(1000));

  const post = (path: string, body: unknown) =>
    fetch(`${f.base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${f.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const notes = (ticket: number) => f.halo.notes(ticket).map((n) => n.note_html);
  const textsTo = (number: string) => f.twilio.messages.filter((m) => m.to === number);
  const events = () => listAuditEvents(f.runtime.database.db, { limit: 5000 });
  const now = () => f.clock.now().toISOString();

  it("#2: takes the ticket's owner from Halo's API, never from ticket.user_id in the body", async () => {
    const samTexts = textsTo(PEOPLE.sam.mobile).length;
    const janeTexts = textsTo(PEOPLE.jane.mobile).length;
    // The body says the ticket is Sam's; Halo says ticket 4242 is Jane's.
    const response = await post("/hooks/halopsa", haloTicketPayload({ ticketId: TICKETS.jane, userId: PEOPLE.sam.haloId, agentId: 7, id: "user-id-claim", timestamp: now() }));
    assert.equal(response.status, 202);
    await waitFor(() => textsTo(PEOPLE.jane.mobile).length > janeTexts || undefined, 10_000);
    assert.equal(textsTo(PEOPLE.sam.mobile).length, samTexts, "the person the body named got nothing");
    const v = await latestOnTicket(f.runtime, TICKETS.jane);
    assert.ok(v?.subjectId.endsWith(PEOPLE.jane.id), v?.subjectId);
  });

  it("#2: refuses a body whose user email is not the ticket's owner, with a note and no text", async () => {
    const samTexts = textsTo(PEOPLE.sam.mobile).length;
    await post("/hooks/halopsa", haloTicketPayload({ ticketId: TICKETS.jane, userId: PEOPLE.sam.haloId, userEmail: PEOPLE.sam.upn, id: "email-claim", timestamp: now() }));
    const note = await waitFor(() => notes(TICKETS.jane).find((n) => n.includes("is for another person, not Sam Smith")), 10_000);
    assert.match(note, /nothing was sent/);
    assert.equal(textsTo(PEOPLE.sam.mobile).length, samTexts);
  });

  it("#3: refuses an API start whose ticket Halo says is someone else's; nothing is sent or noted", async () => {
    const samNotes = notes(TICKETS.sam).length;
    const texts = f.twilio.messages.length;
    const response = await api("POST", "/api/v1/verifications", { user: PEOPLE.jane.upn, method: "sms", ticket: String(TICKETS.sam) });
    assert.equal(response.status, 422);
    const body = (await response.json()) as { code: string; message: string };
    assert.equal(body.code, "TICKET_NOT_CALLERS");
    assert.match(body.message, /Ticket 4244 in halo is for another person, not Jane Doe/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(f.twilio.messages.length, texts);
    assert.equal(notes(TICKETS.sam).length, samNotes);
    assert.ok((await events()).some((e) => e.action === "verification.refused" && e.reason === "TICKET_NOT_CALLERS" && e.subjectId?.endsWith(PEOPLE.jane.id) === true));
    const unknown = await api("POST", "/api/v1/verifications", { user: PEOPLE.jane.upn, method: "sms", ticket: "99999" });
    assert.equal(unknown.status, 404, "a ticket Halo does not know is refused too");
  });

  it("#3: a verification whose ticket could not be confirmed at start gets no notes when Halo later says it is someone else's", async () => {
    f.halo.fail("down", { path: "/api/Tickets", method: "GET" });
    const response = await api("POST", "/api/v1/verifications", { user: PEOPLE.jane.upn, method: "sms", ticket: String(TICKETS.sam) });
    f.halo.heal();
    assert.equal(response.status, 201, "a person's start does not wait for Halo");
    const started = (await response.json()) as { id: string };
    await waitFor(async () => ((await events()).some((e) => e.action === "ticket.not_callers" && e.verificationId === started.id) ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!notes(TICKETS.sam).some((n) => n.includes("Jane Doe")), "no evidence about Jane on Sam's ticket");
  });

  it("#3, #25: a confirm reaches only the ticket's own caller's verification, and names who recorded it", async () => {
    const pressed = await post("/hooks/halopsa", runbookBody([{ email: PEOPLE.sam.upn, ticketId: TICKETS.sam, id: "bind-sam", timestamp: now() }]));
    assert.equal(pressed.status, 202);
    const text = await waitFor(() => textsTo(PEOPLE.sam.mobile).find((m) => m.body.includes("4244")), 10_000).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(notes(TICKETS.sam))} ${JSON.stringify((await events()).slice(-5))}`);
    });
    const code = text.body.match(/\b(\d{6})\b/)?.[1] ?? "";
    const samV = await waitFor(async () => {
      const v = await latestOnTicket(f.runtime, TICKETS.sam);
      return v?.subjectId.endsWith(PEOPLE.sam.id) === true && v.state === "sent" ? v : undefined;
    }, 10_000);
    // A confirm naming Jane's ticket cannot reach Sam's verification.
    const elsewhere = await post("/hooks/halopsa/confirm", { ticketId: TICKETS.nophone, code });
    assert.equal(elsewhere.status, 404);
    const confirmed = await post("/hooks/halopsa/confirm", { ticketId: TICKETS.sam, code, agentId: 7 });
    assert.deepEqual(await confirmed.json(), { outcome: "verified", attemptsRemaining: 4, state: "verified" });
    const result = await waitFor(() => notes(TICKETS.sam).find((n) => n.includes("caller VERIFIED") && n.includes(samV.id.slice(0, 0))), 10_000);
    assert.match(result, /Recorded by: Alice Agent \(HaloPSA\)/);
    assert.doesNotMatch(result, /halopsa:halo/);
  });

  it("#25: a check through an API token names the token's person", async () => {
    const started = (await (await api("POST", "/api/v1/verifications", { user: PEOPLE.jane.upn, method: "sms", ticket: String(TICKETS.jane) })).json()) as { id: string };
    const text = await waitFor(() => textsTo(PEOPLE.jane.mobile).at(-1), 10_000);
    const code = text.body.match(/\b(\d{6})\b/)?.[1] ?? "";
    const checked = await api("POST", `/api/v1/verifications/${started.id}/check`, { code });
    assert.equal(checked.status, 200);
    const result = await waitFor(() => notes(TICKETS.jane).find((n) => n.includes("caller VERIFIED") && n.includes("Tina Technician")), 10_000);
    assert.doesNotMatch(result, /Recorded by: the service desk/);
  });

  it("#9: refuses a press without a readable timestamp, explains it on the ticket, and queues nothing", async () => {
    for (const [id, timestamp] of [["no-time", undefined], ["bad-time", "next tuesday"]] as const) {
      const body = haloTicketPayload({ ticketId: TICKETS.nophone, id, timestamp: "x" });
      if (timestamp === undefined) delete body.timestamp;
      else body.timestamp = timestamp;
      const response = await post("/hooks/halopsa", body);
      assert.equal(response.status, 400, id);
      assert.equal(((await response.json()) as { code: string }).code, "WEBHOOK_TIMESTAMP_INVALID");
    }
    const rows = await f.runtime.database.db.selectFrom("webhook_deliveries").select("delivery_id").where("delivery_id", "in", ["no-time", "bad-time"]).execute();
    assert.deepEqual(rows, []);
    await waitFor(() => notes(TICKETS.nophone).find((n) => n.includes("refused a request from this ticket to verify its caller") && n.includes("no readable timestamp")), 10_000);
    assert.ok((await events()).some((e) => e.action === "webhook.refused" && e.reason === "WEBHOOK_TIMESTAMP_INVALID"));
  });

  it("#9: refuses a delivery id reused for a different press; a true replay stays a no-op", async () => {
    const first = await post("/hooks/halopsa", runbookBody([{ email: PEOPLE.nophone.upn, ticketId: TICKETS.nophone, id: "reused-id", timestamp: now() }]));
    assert.equal(first.status, 202);
    const replay = await post("/hooks/halopsa", runbookBody([{ email: PEOPLE.nophone.upn, ticketId: TICKETS.nophone, id: "reused-id", timestamp: now() }]));
    assert.deepEqual(await replay.json(), { accepted: 0, duplicates: 1, stale: 0, refused: 0 });
    const other = await post("/hooks/halopsa", runbookBody([{ email: PEOPLE.jane.upn, ticketId: TICKETS.jane, id: "reused-id", timestamp: now() }]));
    assert.equal(other.status, 409);
    assert.equal(((await other.json()) as { code: string }).code, "DELIVERY_ID_REUSED");
    assert.ok((await events()).some((e) => e.action === "webhook.refused" && e.reason === "DELIVERY_ID_REUSED" && e.ticket === String(TICKETS.jane)));
  });

  it("#26: while Halo cannot be reached the verification says it waits for HaloPSA, and the text goes within seconds of its return", async () => {
    const texts = textsTo(PEOPLE.sam.mobile).length;
    f.halo.fail("down", { path: "/api/Tickets", method: "GET" });
    const pressed = await post("/hooks/halopsa", runbookBody([{ email: PEOPLE.sam.upn, ticketId: TICKETS.sam, id: "halo-away", timestamp: now() }]));
    assert.equal(pressed.status, 202);
    const waiting = await waitFor(async () => {
      const v = await latestOnTicket(f.runtime, TICKETS.sam);
      return v?.state === "pending" && v.stateReason === "waiting_for_ticketing" ? v : undefined;
    }, 15_000);
    const view = (await (await api("GET", `/api/v1/verifications/${waiting.id}`)).json()) as { state: string; stateReason: string };
    assert.equal(view.state, "pending");
    assert.match(view.stateReason, /Waiting for HaloPSA to confirm ticket 4244 is Sam Smith's; nothing is sent until it answers/);
    assert.equal(textsTo(PEOPLE.sam.mobile).length, texts, "no text before Halo confirms the ticket");
    f.halo.heal();
    let waitedMs = 0;
    while (textsTo(PEOPLE.sam.mobile).length === texts && waitedMs < 20_000) {
      f.clock.advance(1000);
      waitedMs += 1000;
      f.runtime.queue.wakeAll();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(waitedMs <= 5000, `the text followed Halo's return within ${waitedMs / 1000} s of job time`);
    const sent = await waitFor(async () => {
      const v = await latestOnTicket(f.runtime, TICKETS.sam);
      return v?.id === waiting.id && v.state === "sent" ? v : undefined;
    }, 10_000);
    assert.equal(sent.ticketSystem, "halo");
    assert.equal(textsTo(PEOPLE.sam.mobile).length, texts + 1, "exactly one text");
    const actions = (await listAuditEvents(f.runtime.database.db, { verificationId: waiting.id, limit: 20 })).map((e) => e.action);
    assert.deepEqual(actions.slice(0, 3), ["verification.started", "ticket.confirmed", "message.sent"]);
  });
});

/** Issue 9 #23: an MSP's catch-all tenant names each caller's own organisation, in a sentence. */
describe("HaloPSA with a catch-all tenant", () => {
  let f: Flow;
  before(async () => {
    f = await startFlow({ catchAll: true });
  });
  after(() => f.close());

  it("texts with the organisation Entra knows, never the catch-all's own label", async () => {
    const response = await fetch(`${f.base}/hooks/halopsa`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(runbookBody([{ email: PEOPLE.jane.upn, ticketId: TICKETS.jane, id: "catch-all-1", timestamp: f.clock.now().toISOString() }])),
    });
    assert.equal(response.status, 202);
    const text = await waitFor(() => f.twilio.messages.find((m) => m.to === PEOPLE.jane.mobile), 10_000);
    assert.match(text.body, /^\d{6} is your Contoso service desk code \(the service desk, ticket 4242\)\. /);
    assert.doesNotMatch(text.body, /our clients|service desk service desk/);
  });
});

/** Issue 9 #6 (SECURITY.md attack 26): a forged X-Forwarded-For does not pass the webhook's allowlist. */
describe("HaloPSA allowlist behind a proxy", () => {
  let f: Flow;
  before(async () => {
    f = await startFlow({ server: { trustProxy: ["10.9.9.9"] }, webhookSources: ["198.51.100.0/24"] });
  });
  after(() => f.close());

  it("believes X-Forwarded-For from the named proxy only", async () => {
    const press = (remoteAddress: string, id: string) =>
      f.app.inject({
        method: "POST",
        url: "/hooks/halopsa",
        remoteAddress,
        headers: { "content-type": "application/json", ...auth, "x-forwarded-for": "198.51.100.7" },
        payload: JSON.stringify(runbookBody([{ email: PEOPLE.nophone.upn, ticketId: TICKETS.nophone, id, timestamp: f.clock.now().toISOString() }])),
      });
    const forged = await press("203.0.113.50", "xff-forged");
    assert.equal(forged.statusCode, 403, "a peer that is not the proxy cannot claim Halo's address");
    assert.equal(forged.json<{ code: string }>().code, "SOURCE_NOT_ALLOWED");
    const proxied = await press("10.9.9.9", "xff-proxied");
    assert.equal(proxied.statusCode, 202, "the proxy's word for Halo's address is taken");
  });
});
