import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deliverCallback } from "../../fakes/connectwise/connectwise-callbacks.js";
import { startFakeConnectWise, type FakeConnectWise } from "../../fakes/connectwise/fake-connectwise.js";
import { CALLERS, startTicketingWorld, type TicketingWorld } from "../../e2e/ticketing/world.js";
import { waitFor } from "../../helpers/engine.js";
import { countingServer } from "./cw-test-setup.js";

const TOKEN = "a-workflow-token-0123456789abcdef";

/** The callback route of a running Verity, as ConnectWise (and an attacker) reach it. */
describe("ConnectWise callbacks through Verity's hook route", () => {
  let cw: FakeConnectWise;
  let w: TicketingWorld;
  let stranger: Awaited<ReturnType<typeof countingServer>>;
  let hook: string;
  before(async () => {
    cw = await startFakeConnectWise({
      tickets: [
        { id: 9101, summary: "Jane", contact: { id: 1, name: CALLERS.jane.name }, contactEmailAddress: CALLERS.jane.upn, status: { id: 42, name: "Verify caller" } },
        { id: 9102, summary: "Sam", contact: { id: 2, name: CALLERS.sam.name }, contactEmailAddress: CALLERS.sam.upn, status: { id: 1, name: "New" } },
      ],
    });
    stranger = await countingServer("127.0.0.1");
    w = await startTicketingWorld({
      systemName: "cw",
      ticketing: {
        kind: "connectwise",
        apiUrl: cw.apiUrl,
        companyId: cw.companyId,
        publicKey: cw.publicKey,
        privateKey: cw.privateKey,
        clientId: cw.clientId,
        callback: { keyOrigins: [cw.origin], ignoreMembers: ["VerityAPI"], statuses: ["Verify caller"] },
        workflow: { kind: "token", token: TOKEN },
      },
    });
    hook = `${w.base}/hooks/ticketing/cw`;
  });
  after(async () => {
    await w.close();
    await cw.close();
    await new Promise<void>((resolve) => stranger.server.close(() => resolve()));
  });

  it("answers 401 to a callback whose key_url is elsewhere, without fetching it", async () => {
    const forged = cw.callback({ ticketId: 9101, keyUrl: `${stranger.url}/key`, signingKey: "attacker-key" });
    assert.equal((await deliverCallback(hook, forged)).status, 401);
    assert.equal(stranger.hits(), 0);
  });

  it("answers 401 to a callback signed for another ConnectWise company", async () => {
    assert.equal((await deliverCallback(hook, cw.callback({ ticketId: 9101, companyId: "other_msp" }))).status, 401);
  });

  it("answers 422 to a callback for another record type, or for a ticket not in the Verify caller status, and texts nobody", async () => {
    const contact = await deliverCallback(hook, cw.callback({ ticketId: 9101, type: "contact" }));
    assert.equal(contact.status, 422);
    assert.match(contact.text, /ticket callbacks only/);
    const notInStatus = await deliverCallback(hook, cw.callback({ ticketId: 9102 }));
    assert.equal(notInStatus.status, 422);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(w.textsTo(CALLERS.sam.mobile).length, 0);
  });

  it("accepts and ignores Verity's own changes and deletions", async () => {
    for (const callback of [cw.callback({ ticketId: 9101, memberId: "VerityAPI" }), cw.callback({ ticketId: 9101, action: "deleted" })]) {
      const answer = await deliverCallback(hook, callback);
      assert.equal(answer.status, 202);
      assert.equal((JSON.parse(answer.text) as { accepted: number }).accepted, 0);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(w.textsTo(CALLERS.jane.mobile).length, 0);
  });

  it("takes a workflow press with its token and texts the ticket's contact", async () => {
    const response = await fetch(hook, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ ticketId: 9101, id: "flow-1", timestamp: w.clock.now().toISOString(), memberId: "jtech" }),
    });
    assert.equal(response.status, 202);
    await w.codeSentTo(CALLERS.jane.mobile);
    const started = await waitFor(() => cw.notes(9101)[0], 10_000);
    assert.match(started.text, /Verity identity check started/);
    assert.match(started.text, /Jamie Tech/, "the member's name, read from ConnectWise");
  });
});
