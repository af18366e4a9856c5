import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startFakeHalo, type FakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { basicAuthorization, runbookBody } from "../../fakes/halopsa/halo-webhooks.js";
import { waitFor } from "../../helpers/engine.js";
import { CALLERS, startTicketingWorld, type TicketingWorld } from "./world.js";

const WEBHOOK = { username: "hook", password: "a-long-webhook-password-0123456789" };

/**
 * One organisation reached from two ticketing systems (an MSP's PSA and the client's own desk):
 * each trigger's notes go back to the system the ticket is in, and only there.
 */
describe("a tenant reached from two ticketing systems", () => {
  let msp: FakeHalo;
  let own: FakeHalo;
  let w: TicketingWorld;
  const block = (halo: FakeHalo) => ({
    kind: "halopsa",
    authUrl: halo.authUrl,
    apiUrl: halo.apiUrl,
    clientId: "verity-client",
    clientSecret: "verity-secret-0123456789",
    webhook: { kind: "basic", ...WEBHOOK },
  });
  const press = (system: string, ticket: number, id: string) =>
    fetch(`${w.base}/hooks/ticketing/${system}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basicAuthorization(WEBHOOK.username, WEBHOOK.password) },
      body: JSON.stringify(runbookBody([{ email: CALLERS.jane.upn, ticketId: ticket, id, timestamp: w.clock.now().toISOString() }])),
    });

  before(async () => {
    // The same ticket number exists in both systems, for different people.
    msp = await startFakeHalo({
      tickets: [{ id: 77, summary: "Jane's reset", user_id: 1, client_id: 1 }],
      users: [{ id: 1, name: CALLERS.jane.name, emailaddress: CALLERS.jane.upn, client_id: 1 }],
    });
    own = await startFakeHalo({
      tickets: [
        { id: 77, summary: "Sam's printer", user_id: 2, client_id: 1 },
        { id: 88, summary: "Jane again", user_id: 1, client_id: 1 },
      ],
      users: [
        { id: 1, name: CALLERS.jane.name, emailaddress: CALLERS.jane.upn, client_id: 1 },
        { id: 2, name: CALLERS.sam.name, emailaddress: CALLERS.sam.upn, client_id: 1 },
      ],
    });
    w = await startTicketingWorld({ systemName: "msp", ticketing: block(msp), moreTicketing: { own: block(own) }, systems: ["msp", "own"] });
  });
  after(async () => {
    await w.close();
    await Promise.all([msp.close(), own.close()]);
  });

  it("notes each system's ticket from its own trigger, and never the other system's ticket of the same number", async () => {
    assert.equal((await press("msp", 77, "msp-1")).status, 202);
    const code = await w.codeSentTo(CALLERS.jane.mobile);
    const started = await waitFor(() => msp.notes(77)[0], 10_000);
    assert.equal((await w.checkThroughNote(started.note_html, code)).outcome, "verified");
    await waitFor(() => msp.notes(77).find((n) => n.note_html.includes("caller VERIFIED")), 10_000);
    const v = await w.byDelivery("halopsa", "msp", "msp-1");
    assert.equal(v.ticketSystem, "msp");

    assert.equal((await press("own", 88, "own-1")).status, 202);
    await w.codeSentTo(CALLERS.jane.mobile, 1);
    await waitFor(() => own.notes(88)[0], 10_000);
    assert.equal((await w.byDelivery("halopsa", "own", "own-1")).ticketSystem, "own");

    await new Promise((r) => setTimeout(r, 200));
    assert.equal(own.notes(77).length, 0, "ticket 77 in the client's own system is Sam's: nothing went there");
    assert.equal(msp.notes(88).length, 0);
    assert.equal(msp.notes(77).length, 2);
  });

  it("refuses a trigger from one system for the same number that is someone else's ticket there", async () => {
    await press("own", 77, "own-mismatch");
    const note = await waitFor(() => own.notes(77).find((n) => n.note_html.includes("is for another person")), 10_000);
    assert.match(note.note_html, /nothing was sent/);
    assert.equal(w.textsTo(CALLERS.sam.mobile).length, 0);
  });

  it("starts from the API on a named system's ticket, and refuses a system the tenant is not reached through", async () => {
    const admin = { id: "token:t", name: "T", role: "admin" as const, tenants: null };
    const view = await w.runtime.engine.start(admin, { user: CALLERS.jane.upn, method: "sms", ticket: "88", ticketSystem: "own", reason: null });
    const v = await w.byDelivery("halopsa", "own", "own-1");
    assert.notEqual(view.id, v.id);
    await waitFor(() => own.notes(88).filter((n) => n.note_html.includes("identity check started")).length === 2 || undefined, 10_000);
    await assert.rejects(
      w.runtime.engine.start(admin, { user: CALLERS.jane.upn, method: "sms", ticket: "77", ticketSystem: "nowhere", reason: null }),
      (error: { code?: string }) => error.code === "VALIDATION_FAILED",
    );
  });
});
