import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_NOTE_TEXT, NOTE_TITLE } from "../../../src/adapters/ticketing/autotask/autotask-client.js";
import { choosePublish } from "../../../src/adapters/ticketing/autotask/autotask-publish.js";
import { autotaskNoteText, createAutotaskTicketing } from "../../../src/adapters/ticketing/autotask/autotask-ticketing.js";
import { rejectsWith, withAutotask } from "./autotask-test-setup.js";

const ONLY_ALL_USERS = [{ value: "1", label: "All Autotask Users", isActive: true }];
const NOTE = '<p><b>Verity: caller VERIFIED</b></p><ul><li>Caller: Jane &amp; co</li></ul><p>See <a href="https://verity.example/v/abc#t=x-y_z">the page</a>.</p>';

describe("Autotask note publish setting", () => {
  it("prefers 2 Internal Project Team from the picklist, whatever the order", () => {
    const pick = (value: number, label: string, isActive = true) => ({ value, label, isActive });
    assert.equal(choosePublish([pick(1, "All Autotask Users"), pick(4, "Internal & Co-Managed"), pick(2, "Internal Project Team")], undefined), 2);
    assert.equal(choosePublish([pick(1, "All Autotask Users"), pick(7, "Internal Project Team")], undefined), 7, "found by label when renumbered");
  });

  it("never chooses 1 All Autotask Users or an inactive 2 on its own, and says what the instance offers", () => {
    const pick = (value: number, label: string, isActive = true) => ({ value, label, isActive });
    const only1 = rejectsWith(Promise.resolve().then(() => choosePublish([pick(1, "All Autotask Users")], undefined)), "TICKETING_ERROR");
    const inactive2 = rejectsWith(Promise.resolve().then(() => choosePublish([pick(1, "All Autotask Users"), pick(2, "Internal Project Team", false)], undefined)), "TICKETING_ERROR");
    return Promise.all([only1, inactive2]).then(([a, b]) => {
      assert.match(a.message, /1 "All Autotask Users"/);
      assert.match(a.message, /notePublish/);
      assert.doesNotMatch(b.message, /2 "Internal/);
    });
  });

  it("uses a configured notePublish (even 1) only when the picklist has it", async () => {
    const pick = (value: number, label: string) => ({ value, label, isActive: true });
    assert.equal(choosePublish([pick(1, "All Autotask Users")], 1), 1);
    assert.equal(choosePublish([pick(1, "All Autotask Users"), pick(4, "Internal & Co-Managed")], 4), 4);
    await rejectsWith(Promise.resolve().then(() => choosePublish([pick(1, "All Autotask Users")], 4)), "TICKETING_ERROR");
  });

  it("posts with publish 2, reading the picklist once for many notes", async () => {
    await withAutotask({}, async (fake, client) => {
      const system = createAutotaskTicketing("desk", client);
      await system.addPrivateNote({ ticket: "4242", html: NOTE });
      await system.addPrivateNote({ ticket: "4242", html: "<p>second</p>" });
      assert.deepEqual(fake.notes(4242).map((n) => n.publish), [2, 2]);
      assert.equal(fake.count("GET", "/v1.0/TicketNotes/entityInformation/fields"), 1);
    });
  });

  it("refuses to post when the instance has only All Autotask Users, and posts nothing", async () => {
    await withAutotask({ publishPicklist: ONLY_ALL_USERS }, async (fake, client) => {
      const system = createAutotaskTicketing("desk", client);
      const error = await rejectsWith(system.addPrivateNote({ ticket: "4242", html: NOTE }), "TICKETING_ERROR");
      assert.match(error.message, /Internal Project Team/);
      assert.equal(fake.count("POST", "/v1.0/Tickets/4242/Notes"), 0);
      assert.equal((await client.probe()).ok, false, "the connection test says so too");
    });
  });

  it("publishes to All Autotask Users only when configured so, and logs a warning", async () => {
    await withAutotask(
      { publishPicklist: ONLY_ALL_USERS },
      async (fake, client, logs) => {
        await createAutotaskTicketing("desk", client).addPrivateNote({ ticket: "4242", html: NOTE });
        assert.deepEqual(fake.notes(4242).map((n) => n.publish), [1]);
        assert.ok(logs.some((l) => l.includes("outsourced copies")));
      },
      { notePublish: 1 },
    );
  });
});

describe("Autotask notes", () => {
  it("posts a plain-text note: title, every word, the link kept whole, noteType 1", async () => {
    await withAutotask({}, async (fake, client) => {
      await createAutotaskTicketing("desk", client).addPrivateNote({ ticket: "4242", html: NOTE });
      const post = fake.requests.find((r) => r.method === "POST" && r.path === "/v1.0/Tickets/4242/Notes");
      assert.deepEqual(post?.body, {
        ticketID: 4242,
        title: NOTE_TITLE,
        description: "Verity: caller VERIFIED\n- Caller: Jane & co\nSee the page: https://verity.example/v/abc#t=x-y_z",
        noteType: 1,
        publish: 2,
      });
      assert.match(post?.headers["content-type"] ?? "", /application\/json/);
    });
  });

  it("refuses a note longer than Autotask's description before sending it", async () => {
    await withAutotask({}, async (fake, client) => {
      const html = `<p>${"x".repeat(MAX_NOTE_TEXT + 1)}</p>`;
      await rejectsWith(createAutotaskTicketing("desk", client).addPrivateNote({ ticket: "4242", html }), "VALIDATION_FAILED");
      assert.equal(fake.count("POST", "/v1.0/Tickets/4242/Notes"), 0);
      assert.equal(autotaskNoteText(`<p>${"x".repeat(MAX_NOTE_TEXT)}</p>`).length, MAX_NOTE_TEXT);
    });
  });

  it("is never repeated after a 503 and says the note may exist (ambiguous)", async () => {
    await withAutotask({}, async (fake, client) => {
      const system = createAutotaskTicketing("desk", client);
      await system.hasNoteWith("4242", "warm-up");
      fake.fail({ path: "/v1.0/Tickets/4242/Notes", method: "POST" });
      const error = await rejectsWith(system.addPrivateNote({ ticket: "4242", html: NOTE }), "TICKETING_UNAVAILABLE");
      assert.deepEqual(error.details, { operation: "note", status: 503, ambiguous: true });
      assert.equal(fake.count("POST", "/v1.0/Tickets/4242/Notes"), 1);
    });
  });

  it("reports a note on a missing ticket as TICKET_NOT_FOUND", async () => {
    await withAutotask({}, async (_fake, client) => {
      await rejectsWith(createAutotaskTicketing("desk", client).addPrivateNote({ ticket: "999", html: NOTE }), "TICKET_NOT_FOUND");
    });
  });

  it("finds a marker on the third page by following pageDetails.nextPageUrl, and says false when it is not there", async () => {
    await withAutotask({ pageSize: 2 }, async (fake, client) => {
      fake.seedNotes(4242, ["one", "two", "three", "four", "five evt-123 here"]);
      fake.seedNotes(4243, ["evt-999 on another ticket"]);
      const system = createAutotaskTicketing("desk", client);
      assert.equal(await system.hasNoteWith("4242", "evt-123"), true);
      const pages = fake.requests.filter((r) => /^\/v1\.0\/TicketNotes\/query/i.test(r.path));
      assert.deepEqual(pages.map((r) => r.method), ["POST", "GET", "GET"]);
      assert.deepEqual(pages[0]?.body, { filter: [{ op: "eq", field: "ticketID", value: 4242 }] });
      assert.equal(await system.hasNoteWith("4242", "evt-999"), false);
    });
  });

  it("stops after 20 pages and says it cannot tell (null), as when the notes cannot be read", async () => {
    await withAutotask({ pageSize: 1 }, async (fake, client) => {
      fake.seedNotes(4242, Array.from({ length: 25 }, (_, i) => (i === 24 ? "evt-late" : `note ${i}`)));
      const system = createAutotaskTicketing("desk", client);
      assert.equal(await system.hasNoteWith("4242", "evt-late"), null);
      assert.equal(fake.requests.filter((r) => /^\/v1\.0\/TicketNotes\/query/i.test(r.path)).length, 20);
      fake.fail({ path: "/v1.0/TicketNotes" });
      assert.equal(await system.hasNoteWith("4242", "evt-late"), null);
    });
  });
});
