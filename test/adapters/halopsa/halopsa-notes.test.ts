import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { haloApiError } from "../../../src/adapters/ticketing/halopsa/halopsa-errors.js";
import { escapeHtml } from "../../../src/adapters/ticketing/halopsa/halopsa-html.js";
import { type FakeHalo, type FakeHaloOptions, startFakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { haloClient, rejectsWith } from "./halo-test-setup.js";

const MARKER = "verity-evt-01JDQ3Z8K4";
const html = (text = "Verified") => `<p>${escapeHtml(text)}</p><p style="display:none">${MARKER}</p>`;

describe("HaloPSA client: private notes", () => {
  const fakes: FakeHalo[] = [];
  const fake = async (options: FakeHaloOptions = {}) => {
    const f = await startFakeHalo(options);
    fakes.push(f);
    return f;
  };
  after(() => Promise.all(fakes.map((f) => f.close())));

  it("posts a JSON array with outcome_id, hidden from the user and without email", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    assert.deepEqual(await client.addPrivateNote({ ticketId: 4242, html: html("Jane <b>verified</b>") }), { actionId: 9001 });
    const [note, ...others] = halo.notes(4242);
    assert.equal(others.length, 0);
    assert.equal(note?.outcome_id, 7);
    assert.equal(note?.hiddenfromuser, true);
    assert.equal(note?.sendemail, false);
    assert.equal(note?.note_html, `<p>Jane &lt;b&gt;verified&lt;/b&gt;</p><p style="display:none">${MARKER}</p>`);
    await client.close();
  });

  it("sends the outcome by name when configured so", async () => {
    const halo = await fake();
    const { client } = haloClient(halo, { outcome: { name: "private note" } });
    await client.addPrivateNote({ ticketId: 4242, html: html() });
    assert.deepEqual(halo.notes(4242).map((n) => [n.outcome_id, n.outcome]), [[7, "Private Note"]]);
    await client.close();
  });

  it("reads the created action id from an object, an array or nothing", async () => {
    for (const [shape, expected] of [["array", 9001], ["empty", null]] as const) {
      const halo = await fake({ actionResponseShape: shape });
      const { client } = haloClient(halo);
      assert.deepEqual(await client.addPrivateNote({ ticketId: 4242, html: html() }), { actionId: expected });
      await client.close();
    }
  });

  it("tells the admin which outcome to set when Halo refuses it", async () => {
    const halo = await fake();
    const { client } = haloClient(halo, { outcome: { name: "Silent Note" } });
    const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: html() }), "TICKETING_ERROR");
    assert.match(error.message, /Invalid Outcome/);
    assert.match(error.message, /outcome "Silent Note"/);
    assert.match(error.message, /set `outcome`/);
    assert.deepEqual(error.details, { operation: "note", status: 400, ambiguous: false });
    assert.equal(halo.notes(4242).length, 0);
    await client.close();
  });

  it("maps Halo's missing-outcome answer to TICKETING_ERROR with the fix", () => {
    const body = JSON.stringify({ ClassName: "System.Exception", Message: "An Outcome must be entered for this Action" });
    const error = haloApiError(
      { status: 400, headers: {}, text: body, attempts: 1 },
      { label: "add a private note to ticket 4242", kind: "note", ticketId: 4242 },
      { outcome: { id: 7 }, scope: "all", apiUrl: "https://x.halopsa.com/api" },
    );
    assert.equal(error.code, "TICKETING_ERROR");
    assert.match(error.message, /An Outcome must be entered for this Action\. Verity sends outcome id 7/);
  });

  it("refuses a note for a ticket Halo does not have, and empty or oversized notes", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    await rejectsWith(client.addPrivateNote({ ticketId: 999, html: html() }), "TICKETING_ERROR");
    await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: "  " }), "VALIDATION_FAILED");
    await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: "x".repeat(70_000) }), "VALIDATION_FAILED");
    assert.equal(halo.count("POST", "/api/Actions"), 1);
    await client.close();
  });

  it("says a note may exist after a 5xx, and does not repeat the POST", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    halo.fail("down", { path: "/api/Actions", method: "POST" });
    const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: html() }), "TICKETING_UNAVAILABLE");
    assert.equal(error.retryable, true);
    assert.deepEqual(error.details, { operation: "note", status: 503, ambiguous: true });
    assert.equal(halo.count("POST", "/api/Actions"), 1);
    halo.heal();
    assert.equal((await client.listActions(4242)).some((a) => a.noteHtml.includes(MARKER)), false);
    await client.addPrivateNote({ ticketId: 4242, html: html() });
    assert.equal(halo.notes(4242).length, 1);
    await client.close();
  });

  for (const mode of ["hang", "reset"] as const) {
    it(`after a ${mode} the note is flagged ambiguous, created once, and found by its marker`, async () => {
      const halo = await fake();
      const { client } = haloClient(halo, { timeoutMs: 400 });
      await client.getTicket(4242);
      halo.fail(mode, { path: "/api/Actions", method: "POST" });
      const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: html() }), "TICKETING_UNAVAILABLE");
      assert.deepEqual(error.details, { operation: "note", ambiguous: true });
      assert.equal(halo.count("POST", "/api/Actions"), 1);
      halo.heal();
      assert.equal(halo.notes(4242).length, 1);
      assert.equal((await client.listActions(4242)).some((a) => a.noteHtml.includes(MARKER)), true);
      await client.close();
    });
  }

  it("says a note certainly does not exist when Halo could not be reached", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    await client.getTicket(4242);
    await halo.close();
    // Let the pool see its idle connection closed, so the POST opens a new one and is refused.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: html() }), "TICKETING_UNAVAILABLE");
    assert.deepEqual(error.details, { operation: "note", ambiguous: false });
    await client.close();
  });

  it("retries a throttled POST (429 means not processed) and gives up without the ambiguous flag", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    halo.throttle(1, { path: "/api/Actions", method: "POST" });
    await client.addPrivateNote({ ticketId: 4242, html: html() });
    assert.equal(halo.notes(4242).length, 1);
    // Longer than the outbound client will wait: it hands the 429 back at once.
    halo.throttle(10, { path: "/api/Actions", method: "POST", retryAfterSeconds: 3600 });
    const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: html() }), "TICKETING_UNAVAILABLE");
    assert.deepEqual(error.details, { operation: "note", status: 429, ambiguous: false });
    assert.equal(error.retryAfterSeconds, 3600);
    assert.equal(halo.notes(4242).length, 1);
    await client.close();
  });

  it("renews a refused token before posting, and posts once", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    await client.getTicket(4242);
    halo.revokeTokens();
    await client.addPrivateNote({ ticketId: 4242, html: html() });
    assert.equal(halo.notes(4242).length, 1);
    assert.equal(halo.tokenRequests.length, 2);
    await client.close();
  });

  it("names the outcome permission when Halo answers 403", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    halo.fail("forbidden", { path: "/api/Actions" });
    const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: html() }), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /permission to add actions to tickets and to use outcome id 7/);
    await client.close();
  });
});

describe("HaloPSA client: listing actions", () => {
  const fakes: FakeHalo[] = [];
  after(() => Promise.all(fakes.map((f) => f.close())));

  for (const shape of ["wrapped", "bare"] as const) {
    it(`reads the full note HTML from a ${shape} list`, async () => {
      const halo = await startFakeHalo({ actionsListShape: shape });
      fakes.push(halo);
      const { client } = haloClient(halo);
      await client.addPrivateNote({ ticketId: 4242, html: html("A long first line that the list summary cuts short") });
      await client.addPrivateNote({ ticketId: 4242, html: "<p>second</p>" });
      const actions = await client.listActions(4242);
      assert.deepEqual(actions.map((a) => a.id), [9001, 9002]);
      assert.ok(actions[0]?.noteHtml.includes(MARKER));
      assert.equal(actions[1]?.noteHtml, "<p>second</p>");
      assert.equal(halo.requests.find((r) => r.path === "/api/Actions" && r.method === "GET")?.query.includehtmlnote, "true");
      assert.deepEqual(await client.listActions(4243), []);
      await client.close();
    });
  }

  it("skips entries it cannot read instead of failing the list", async () => {
    const halo = await startFakeHalo();
    fakes.push(halo);
    const { client } = haloClient(halo);
    await client.addPrivateNote({ ticketId: 4242, html: html() });
    halo.state.actions.push({ ...(halo.state.actions[0] as (typeof halo.state.actions)[number]), id: "oops" as unknown as number });
    assert.equal((await client.listActions(4242)).length, 1);
    await client.close();
  });
});
