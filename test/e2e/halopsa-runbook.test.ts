import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { TICKET_TRIGGER_JOB, type TriggerPayload } from "../../src/services/ticket-triggers.js";
import { countJobs } from "../../src/store/job-dal.js";
import { basicAuthorization, haloTicketPayload, runbookBody } from "../fakes/halopsa/halo-webhooks.js";
import { waitFor } from "../helpers/engine.js";
import { latestOnTicket, PEOPLE, startFlow, TICKETS, WEBHOOK, type Flow } from "./halopsa-flow.js";

const auth = { authorization: basicAuthorization(WEBHOOK.username, WEBHOOK.password) };

/**
 * The runbook's flow, replayed: Halo's "Verify User" button POSTs the end user's email and the
 * ticket id; Verity finds the user in Entra, texts a code to the registered mobile by Twilio,
 * and leaves private notes on the ticket, through outages, without duplicates.
 */
describe("HaloPSA → Entra → Twilio → HaloPSA", () => {
  let f: Flow;
  before(async () => {
    f = await startFlow();
  });
  after(() => f.close());

  const press = async (email: string, ticketId: number, id: string, headers: Record<string, string> = auth) => {
    const started = Date.now();
    const response = await fetch(`${f.base}/hooks/halopsa`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(runbookBody([{ email, ticketId, id, timestamp: f.clock.now().toISOString() }])),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, ms: Date.now() - started };
  };
  const notes = (ticket: number) => f.halo.notes(ticket).map((n) => n.note_html);
  const textsTo = (number: string) => f.twilio.messages.filter((m) => m.to === number);

  it("texts the registered mobile, notes the ticket, and takes the code back from a second Halo action", async () => {
    const pressed = await press(PEOPLE.jane.upn, TICKETS.jane, "delivery-1");
    assert.equal(pressed.status, 202);
    assert.deepEqual(pressed.body, { accepted: 1, duplicates: 0, stale: 0, refused: 0 });
    assert.ok(pressed.ms < 2000, `answered in ${pressed.ms} ms`);

    const text = await waitFor(() => textsTo(PEOPLE.jane.mobile)[0], 10_000);
    assert.ok(f.twilio.messages.every((m) => m.to === PEOPLE.jane.mobile), "never the alternate mobile or the office number");
    assert.match(text.body, /^\d{6} is your Contoso service desk code \(the service desk, ticket 4242\)\./);
    assert.match(text.body, /Only read this code to the service desk if you called them/);
    assert.equal(text.statusCallback, `${f.base}/hooks/twilio/status`);
    const code = text.body.match(/\b(\d{6})\b/)?.[1] ?? "";

    const started = await waitFor(() => notes(TICKETS.jane).find((n) => n.includes("identity check started")), 10_000);
    assert.match(started, /SMS code to \+1 \(•••\) •••-0101/);
    assert.match(started, new RegExp(`href="${f.base.replace(/[.]/g, "\\.")}/v/[0-9a-f-]{36}#t=`));
    assert.ok(!started.includes(code) && !started.includes("4255550101"));
    assert.ok(f.halo.notes(TICKETS.jane).every((n) => n.hiddenfromuser && !n.sendemail));

    const confirm = await fetch(`${f.base}/hooks/halopsa/confirm`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ ticketId: TICKETS.jane, code }),
    });
    assert.deepEqual(await confirm.json(), { outcome: "verified", attemptsRemaining: 4, state: "verified" });

    const result = await waitFor(() => notes(TICKETS.jane).find((n) => n.includes("caller VERIFIED")), 10_000);
    const v = await latestOnTicket(f.runtime, TICKETS.jane);
    const accepted = (await listAuditEvents(f.runtime.database.db, { verificationId: v?.id ?? "", limit: 20 })).find((e) => e.action === "check.accepted");
    assert.ok(result.includes(accepted?.hash ?? "missing"), "the result note carries the audit hash");
    assert.ok(!result.includes(code));
  });

  it("sends nothing more when the press's job runs again (a retry after a crash)", async () => {
    const textsBefore = textsTo(PEOPLE.jane.mobile).length;
    const v = await latestOnTicket(f.runtime, TICKETS.jane);
    const payload: TriggerPayload = { system: "halo", deliveryId: "delivery-1", ticket: String(TICKETS.jane), emailHint: PEOPLE.jane.upn, agent: null };
    const done = await countJobs(f.runtime.database.db, "done", TICKET_TRIGGER_JOB);
    await f.runtime.database.db.transaction().execute((trx) => f.runtime.queue.enqueue(trx, TICKET_TRIGGER_JOB, payload, { dedupeKey: "rerun-delivery-1" }));
    f.runtime.queue.kick();
    await waitFor(async () => (await countJobs(f.runtime.database.db, "done", TICKET_TRIGGER_JOB)) > done && (await countJobs(f.runtime.database.db, "pending", TICKET_TRIGGER_JOB)) === 0 || undefined, 10_000);
    assert.equal(textsTo(PEOPLE.jane.mobile).length, textsBefore, "no second text");
    assert.equal((await latestOnTicket(f.runtime, TICKETS.jane))?.id, v?.id, "no second verification");
  });

  it("treats a replayed delivery, even 100 at once, as one press", async () => {
    const copies = await Promise.all(Array.from({ length: 100 }, () => press(PEOPLE.sam.upn, TICKETS.sam, "delivery-sam")));
    assert.ok(copies.every((c) => c.status === 202));
    assert.equal(copies.filter((c) => c.body.accepted === 1).length, 1);
    await waitFor(() => textsTo(PEOPLE.sam.mobile).length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(textsTo(PEOPLE.sam.mobile).length, 1, "exactly one text");
    const again = await press(PEOPLE.sam.upn, TICKETS.sam, "delivery-sam");
    assert.deepEqual(again.body, { accepted: 0, duplicates: 1, stale: 0, refused: 0 });
  });

  it("notes the ticket when the user has no phone that can take a text", async () => {
    await press(PEOPLE.nophone.upn, TICKETS.nophone, "delivery-nophone");
    const note = await waitFor(() => notes(TICKETS.nophone)[0], 10_000);
    assert.match(note, /Verity could not start a verification/);
    assert.match(note, /only an office phone registered/);
    assert.equal(f.twilio.messages.filter((m) => m.to.endsWith("0104")).length, 0);
  });

  it("notes the ticket when the email's domain is no client's", async () => {
    await press(PEOPLE.stranger.upn, TICKETS.stranger, "delivery-stranger");
    const note = await waitFor(() => notes(TICKETS.stranger)[0], 10_000);
    assert.match(note, /No client organisation claims the email domain unknown\.example/);
  });

  it("refuses a body naming someone other than the ticket's end user", async () => {
    await press(PEOPLE.jane.upn, TICKETS.nophone, "delivery-mismatch");
    const note = await waitFor(() => notes(TICKETS.nophone).find((n) => n.includes("is for another person, not Jane Doe")), 10_000);
    assert.match(note, /nothing was sent/);
    assert.equal(textsTo(PEOPLE.jane.mobile).filter((m) => m.body.includes("4243")).length, 0, "no text to the person the body named");
  });

  it("ignores a press raised more than five minutes ago (a resend from Halo's delivery log)", async () => {
    const before = f.twilio.messages.length;
    const response = await fetch(`${f.base}/hooks/halopsa`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(runbookBody([{ email: PEOPLE.jane.upn, ticketId: TICKETS.jane, id: "old-press", timestamp: new Date(f.clock.now().getTime() - 10 * 60_000).toISOString() }])),
    });
    assert.deepEqual(await response.json(), { accepted: 0, duplicates: 0, stale: 1, refused: 0 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(f.twilio.messages.length, before);
    const events = await listAuditEvents(f.runtime.database.db, { limit: 1000 });
    assert.ok(events.some((e) => e.action === "webhook.stale" && e.ticket === String(TICKETS.jane)));
  });

  it("refuses webhooks without the right credentials, with no side effects", async () => {
    const before = f.twilio.messages.length;
    assert.equal((await press(PEOPLE.jane.upn, TICKETS.jane, "x-1", {})).status, 401);
    assert.equal((await press(PEOPLE.jane.upn, TICKETS.jane, "x-2", { authorization: basicAuthorization(WEBHOOK.username, "wrong-password-0123456789") })).status, 401);
    const rows = await f.runtime.database.db.selectFrom("webhook_deliveries").select("delivery_id").where("delivery_id", "in", ["x-1", "x-2"]).execute();
    assert.deepEqual(rows, []);
    assert.equal(f.twilio.messages.length, before);
  });

  it("refuses a press from outside the webhook's allowedSources before reading its credentials", async () => {
    const before = f.twilio.messages.length;
    const notesBefore = notes(TICKETS.nophone).length;
    const send = (remoteAddress: string, id: string) =>
      f.app.inject({
        method: "POST",
        url: "/hooks/halopsa",
        remoteAddress,
        headers: { "content-type": "application/json", ...auth },
        payload: JSON.stringify(runbookBody([{ email: PEOPLE.nophone.upn, ticketId: TICKETS.nophone, id, timestamp: f.clock.now().toISOString() }])),
      });
    for (const outside of ["203.0.113.9", "::ffff:203.0.113.9", "2001:db8::1"]) {
      const refused = await send(outside, `src-${outside}`);
      assert.equal(refused.statusCode, 403, outside);
      assert.equal(refused.json<{ code: string }>().code, "SOURCE_NOT_ALLOWED");
    }
    const confirm = await f.app.inject({ method: "POST", url: "/hooks/halopsa/confirm", remoteAddress: "203.0.113.9", headers: { "content-type": "application/json", ...auth }, payload: { ticketId: TICKETS.jane, code: "123456" } });
    assert.equal(confirm.statusCode, 403, "the code-confirm action is behind the same allowlist");
    const rows = await f.runtime.database.db.selectFrom("webhook_deliveries").select("delivery_id").where("delivery_id", "like", "src-%").execute();
    assert.deepEqual(rows, [], "nothing was recorded for a refused source");
    const inside = await send("::ffff:198.51.100.7", "src-inside");
    assert.equal(inside.statusCode, 202, "Halo's own range, seen through an IPv6 socket, is accepted");
    await waitFor(() => notes(TICKETS.nophone).length > notesBefore || undefined, 10_000);
    assert.equal(f.twilio.messages.length, before, "no text for a refused press (the accepted one is for a user with no mobile)");
    assert.ok(f.logs.some((l) => l.includes("outside its allowedSources") && l.includes("203.0.113.9")));
  });

  it("keeps texting while HaloPSA is down, and posts every note once it is back", async () => {
    f.halo.fail("down", { path: "/api/actions", method: "POST" });
    await press(PEOPLE.sam.upn, TICKETS.sam, "delivery-sam-2");
    await waitFor(() => textsTo(PEOPLE.sam.mobile).length === 2, 10_000);
    // This press's own verification (an earlier test left another open on the same ticket).
    const v = await waitFor(async () => {
      const row = await f.runtime.database.db.selectFrom("verifications").select(["id", "state"]).where("origin", "=", "halopsa:halo:delivery-sam-2").executeTakeFirst();
      return row?.state === "sent" ? row : undefined;
    });
    await f.runtime.engine.cancel({ id: "token:t", name: "T", role: "admin", tenants: null }, v.id, "caller hung up");
    await waitFor(() => f.halo.requests.filter((r) => r.method === "POST" && r.path.toLowerCase().endsWith("/actions") && r.outcome === 503).length >= 1, 10_000);
    const before = f.halo.notes(TICKETS.sam).length;
    f.halo.heal();
    for (let i = 0; i < 40 && f.halo.notes(TICKETS.sam).length < before + 2; i += 1) {
      f.clock.advance(60_000);
      f.runtime.queue.wakeAll();
      await new Promise((r) => setTimeout(r, 50));
    }
    const posted = notes(TICKETS.sam).slice(before);
    assert.equal(posted.length, 2, "the started and the result note, each once");
    assert.match(posted[0] ?? "", /identity check started/);
    assert.match(posted[1] ?? "", /NOT VERIFIED \(cancelled\)/);
  });

  it("records the carrier's report and fails a verification whose text was not delivered", async () => {
    await press(PEOPLE.sam.upn, TICKETS.sam, "delivery-sam-3");
    const text = await waitFor(() => textsTo(PEOPLE.sam.mobile)[2], 10_000);
    const callback = await f.twilio.deliver(text.sid, "undelivered", 30003);
    assert.ok(callback !== null);
    const v = await waitFor(async () => {
      const latest = await latestOnTicket(f.runtime, TICKETS.sam);
      return latest?.state === "failed" ? latest : undefined;
    }, 10_000);
    assert.match(v.stateReason ?? "", /undelivered|30003/);
    const note = await waitFor(() => notes(TICKETS.sam).find((n) => n.includes("could not be sent") && n.includes(v.id.slice(0, 0))), 10_000);
    assert.ok(note);
  });

  it("takes Halo's own ticket webhook, finding the end user and the agent through the Halo API", async () => {
    const before = textsTo(PEOPLE.jane.mobile).length;
    const response = await fetch(`${f.base}/hooks/halopsa`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(haloTicketPayload({ ticketId: TICKETS.jane, agentId: 7, id: "halo-event-1", timestamp: f.clock.now().toISOString() })),
    });
    assert.equal(response.status, 202);
    const text = await waitFor(() => textsTo(PEOPLE.jane.mobile)[before], 10_000);
    assert.match(text.body, /\(Alice, ticket 4242\)/);
  });

  it("refuses a status callback with a bad signature", async () => {
    const response = await fetch(`${f.base}/hooks/twilio/status`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
      body: "MessageSid=SM00000000000000000000000000000000&MessageStatus=delivered",
    });
    assert.equal(response.status, 401);
  });
});

describe("reveal mode, as the runbook did it", () => {
  let f: Flow;
  before(async () => {
    f = await startFlow({ codeHandling: "reveal" });
  });
  after(() => f.close());

  it("puts the code in a private note and lets the technician record the match through the link", async () => {
    await fetch(`${f.base}/hooks/halopsa`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(runbookBody([{ email: PEOPLE.jane.upn, ticketId: TICKETS.jane, id: "reveal-1", timestamp: f.clock.now().toISOString() }])),
    });
    const text = await waitFor(() => f.twilio.messages[0], 10_000);
    const code = text.body.match(/\b(\d{6})\b/)?.[1] ?? "";
    const reveal = await waitFor(() => f.halo.notes(TICKETS.jane).find((n) => n.note_html.includes(code)), 10_000);
    const link = reveal.note_html.match(/href="([^"]+)"/)?.[1]?.replace(/&amp;/g, "&") ?? "";
    const [, id, capability] = /\/v\/([0-9a-f-]{36})#t=(.+)$/.exec(link) ?? [];
    assert.ok(id !== undefined && capability !== undefined, link);
    const page = await fetch(`${f.base}/api/v1/link/verifications/${id}`, { headers: { "x-verity-link": capability } });
    assert.equal(((await page.json()) as { codeHandling: string }).codeHandling, "reveal");
    const confirmed = await fetch(`${f.base}/api/v1/link/verifications/${id}/confirm`, {
      method: "POST",
      headers: { "x-verity-link": capability, "content-type": "application/json" },
      body: JSON.stringify({ matched: true }),
    });
    assert.equal(((await confirmed.json()) as { state: string }).state, "verified");
    await waitFor(() => f.halo.notes(TICKETS.jane).find((n) => n.note_html.includes("caller VERIFIED")), 10_000);
    const jobs = await f.runtime.database.db.selectFrom("jobs").select("payload").execute();
    assert.ok(jobs.every((j) => !j.payload.includes(code)), "the code was never queued or stored");
  });
});
