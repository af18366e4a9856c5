import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freshserviceApiError } from "../../../src/adapters/ticketing/freshservice/freshservice-errors.js";
import { fsWorld, rejectsWith } from "./freshservice-setup.js";

describe("Freshservice reads", () => {
  it("reads the requester in one call with include=requester", async () => {
    const w = await fsWorld();
    try {
      assert.deepEqual(await w.system.ticketContact("301"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" });
      assert.deepEqual(
        w.fake.requests.map((r) => [r.method, r.path, r.query.include]),
        [["GET", "/api/v2/tickets/301", "requester"]],
      );
    } finally {
      await w.close();
    }
  });

  it("falls back to /requesters/{id} when the embedded requester has no email, and to /agents/{id} for an agent requester", async () => {
    const w = await fsWorld({
      embedRequesterEmail: false,
      tickets: [
        { id: 301, requester_id: 11_001 },
        { id: 305, requester_id: 9002 },
      ],
      agents: [{ id: 9002, first_name: "Alex", last_name: "Agent", email: "alex@msp.example" }],
    });
    try {
      assert.equal((await w.system.ticketContact("301")).email, "jane.doe@contoso.example");
      assert.equal(w.fake.count("GET", "/api/v2/requesters/11001"), 1);
      assert.deepEqual(await w.system.ticketContact("#INC-305"), { email: "alex@msp.example", directoryId: null, name: "Alex Agent" });
    } finally {
      await w.close();
    }
  });

  it("maps a missing ticket to TICKET_NOT_FOUND and a reference that is no number likewise, without a call", async () => {
    const w = await fsWorld();
    try {
      await rejectsWith(w.system.ticketContact("999"), "TICKET_NOT_FOUND");
      const before = w.fake.requests.length;
      await rejectsWith(w.system.ticketContact("../agents/1"), "TICKET_NOT_FOUND");
      assert.equal(w.fake.requests.length, before);
    } finally {
      await w.close();
    }
  });

  it("names an agent, and says null for an unknown one or a non-numeric id", async () => {
    const w = await fsWorld();
    try {
      assert.equal(await w.system.agentName?.("9001"), "Verity API");
      assert.equal(await w.system.agentName?.("9999"), null);
      assert.equal(await w.system.agentName?.("{{ticket.agent.id}}"), null);
    } finally {
      await w.close();
    }
  });

  it("maps a wrong API key to UPSTREAM_AUTH_FAILED without retrying, and never puts the key in the message", async () => {
    const w = await fsWorld({ apiKey: "the-real-key" }, { apiKey: "a-wrong-key-0123" });
    try {
      const error = await rejectsWith(w.system.ticketContact("301"), "UPSTREAM_AUTH_FAILED");
      assert.match(error.message, /API key/);
      assert.ok(!error.message.includes("a-wrong-key-0123"));
      assert.equal(w.fake.requests.length, 1);
      const probe = await w.system.probe?.();
      assert.equal(probe?.ok, false);
    } finally {
      await w.close();
    }
  });

  it("waits for Retry-After on 429 and then succeeds", async () => {
    const w = await fsWorld();
    try {
      w.fake.throttle(1, { path: "/api/v2/tickets/301", retryAfterSeconds: 1 });
      const started = Date.now();
      assert.equal((await w.system.ticketContact("301")).email, "jane.doe@contoso.example");
      assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
      assert.deepEqual(
        w.fake.requests.map((r) => r.status),
        [429, 200],
      );
    } finally {
      await w.close();
    }
  });

  it("reports a throttle that outlasts the retries as TICKETING_UNAVAILABLE with retryAfterSeconds", async () => {
    const w = await fsWorld({}, {}, { maxRetries: 1 });
    try {
      w.fake.throttle(5, { retryAfterSeconds: 0 });
      const error = await rejectsWith(w.system.ticketContact("301"), "TICKETING_UNAVAILABLE");
      assert.equal(error.retryable, true);
      assert.equal(w.fake.requests.length, 2);
    } finally {
      await w.close();
    }
  });

  it("probes with one read of tickets", async () => {
    const w = await fsWorld();
    try {
      const probe = await w.system.probe?.();
      assert.equal(probe?.ok, true, probe?.detail);
      assert.deepEqual(
        w.fake.requests.map((r) => [r.method, r.path]),
        [["GET", "/api/v2/tickets"]],
      );
    } finally {
      await w.close();
    }
  });
});

describe("Freshservice notes", () => {
  it("posts a private HTML note", async () => {
    const w = await fsWorld();
    try {
      await w.system.addPrivateNote({ ticket: "301", html: "<p><b>Verity</b> check started</p>" });
      const [note] = w.fake.notes(301);
      assert.equal(note?.private, true);
      assert.equal(note?.body, "<p><b>Verity</b> check started</p>");
    } finally {
      await w.close();
    }
  });

  it("does not repeat a note after a 503 and says it may exist; maps 404 and validation errors", async () => {
    const w = await fsWorld();
    try {
      w.fake.fail({ path: "/api/v2/tickets/301/notes" });
      const down = await rejectsWith(w.system.addPrivateNote({ ticket: "301", html: "<p>x</p>" }), "TICKETING_UNAVAILABLE");
      assert.deepEqual(down.details, { operation: "note", status: 503, ambiguous: true });
      assert.equal(w.fake.count("POST", "/api/v2/tickets/301/notes"), 1);
      w.fake.heal();
      await rejectsWith(w.system.addPrivateNote({ ticket: "999", html: "<p>x</p>" }), "TICKET_NOT_FOUND");
      await rejectsWith(w.system.addPrivateNote({ ticket: "301", html: " " }), "VALIDATION_FAILED");
    } finally {
      await w.close();
    }
  });

  it("retries a note refused with 429, which Freshservice did not act on", async () => {
    const w = await fsWorld();
    try {
      w.fake.throttle(1, { path: "/api/v2/tickets/301/notes", method: "POST" });
      await w.system.addPrivateNote({ ticket: "301", html: "<p>x</p>" });
      assert.equal(w.fake.notes(301).length, 1);
    } finally {
      await w.close();
    }
  });

  it("refuses an oversized note before it reaches Freshservice, and quotes Freshservice's validation errors", async () => {
    const w = await fsWorld();
    try {
      const error = await rejectsWith(w.client.addPrivateNote(301, "x".repeat(70_000)), "VALIDATION_FAILED");
      assert.match(error.message, /65536/);
      assert.equal(w.fake.requests.length, 0);
    } finally {
      await w.close();
    }
    const body = { description: "Validation failed", errors: [{ field: "body", message: "It should be of type String", code: "missing_field" }] };
    const mapped = freshserviceApiError({ status: 400, headers: {}, text: JSON.stringify(body), attempts: 1 }, { label: "add a private note to ticket 1", kind: "note", ticketId: 1 }, "https://acme.freshservice.com");
    assert.equal(mapped.code, "TICKETING_ERROR");
    assert.match(mapped.message, /Validation failed; body: It should be of type String \(missing_field\)/);
    assert.deepEqual(mapped.details, { operation: "note", status: 400, ambiguous: false });
  });

  it("finds a marker on a later page of conversations, following Link headers", async () => {
    const w = await fsWorld();
    try {
      for (let i = 0; i < 230; i += 1) w.fake.addConversation(301, `<p>reply ${i}</p>`);
      await w.system.addPrivateNote({ ticket: "301", html: "<p>marker-abc</p>" });
      assert.equal(await w.system.hasNoteWith("301", "marker-abc"), true);
      assert.deepEqual(
        w.fake.requests.filter((r) => r.path.endsWith("/conversations")).map((r) => [r.query.page, r.query.per_page]),
        [
          ["1", "100"],
          ["2", "100"],
          ["3", "100"],
        ],
      );
      assert.equal(await w.system.hasNoteWith("301", "marker-missing"), false);
    } finally {
      await w.close();
    }
  });

  it("reads on past a full page when Freshservice sends no Link header, stops at a short one", async () => {
    const w = await fsWorld({ linkHeader: false });
    try {
      for (let i = 0; i < 100; i += 1) w.fake.addConversation(301, `<p>reply ${i}</p>`);
      assert.equal(await w.system.hasNoteWith("301", "nothing-here"), false);
      assert.equal(w.fake.count("GET", "/api/v2/tickets/301/conversations"), 2);
    } finally {
      await w.close();
    }
  });

  it("says null, not false, when it cannot tell (an outage, or too many pages)", async () => {
    const w = await fsWorld();
    try {
      w.fake.fail({ path: "/api/v2/tickets/301/conversations" });
      assert.equal(await w.system.hasNoteWith("301", "x"), null);
      w.fake.heal();
      for (let i = 0; i < 2001; i += 1) w.fake.addConversation(301, "<p>chatter</p>");
      assert.equal(await w.system.hasNoteWith("301", "x"), null);
      assert.equal(w.fake.count("GET", "/api/v2/tickets/301/conversations") - 4, 20);
    } finally {
      await w.close();
    }
  });
});
