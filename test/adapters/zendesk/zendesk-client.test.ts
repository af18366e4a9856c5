import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zendeskApiError } from "../../../src/adapters/ticketing/zendesk/zendesk-errors.js";
import { rejectsWith, zdWorld } from "./zendesk-setup.js";

describe("Zendesk reads", () => {
  it("reads the requester through requester_id → users/{id}", async () => {
    const w = await zdWorld();
    try {
      assert.deepEqual(await w.system.ticketContact("4401"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" });
      assert.deepEqual(
        w.fake.requests.map((r) => [r.method, r.path]),
        [
          ["GET", "/api/v2/tickets/4401.json"],
          ["GET", "/api/v2/users/7001.json"],
        ],
      );
    } finally {
      await w.close();
    }
  });

  it("signs in with an OAuth access token as well", async () => {
    const w = await zdWorld({}, (fake) => ({ kind: "oauth", accessToken: fake.agent.accessToken }));
    try {
      assert.equal((await w.system.ticketContact("4402")).email, "sam.smith@contoso.example");
      assert.equal(await w.system.agentName?.("900"), "Verity API");
    } finally {
      await w.close();
    }
  });

  it("maps a missing ticket to TICKET_NOT_FOUND, a requester who is gone to no email", async () => {
    const w = await zdWorld({ tickets: [{ id: 4409, requester_id: 7999 }] });
    try {
      await rejectsWith(w.system.ticketContact("4401"), "TICKET_NOT_FOUND");
      assert.deepEqual(await w.system.ticketContact("4409"), { email: null, directoryId: null, name: null });
      const before = w.fake.requests.length;
      await rejectsWith(w.system.ticketContact("4401.json?x"), "TICKET_NOT_FOUND");
      assert.equal(w.fake.requests.length, before);
    } finally {
      await w.close();
    }
  });

  it("maps a wrong API token to UPSTREAM_AUTH_FAILED, once, without the token in the message", async () => {
    const w = await zdWorld({}, (fake) => ({ kind: "token", email: fake.agent.email, apiToken: "wrong-token-abcdef" }));
    try {
      const error = await rejectsWith(w.system.ticketContact("4401"), "UPSTREAM_AUTH_FAILED");
      assert.match(error.message, /Couldn't authenticate you/);
      assert.ok(!error.message.includes("wrong-token-abcdef"));
      assert.equal(w.fake.requests.length, 1);
      assert.equal((await w.system.probe?.())?.ok, false);
    } finally {
      await w.close();
    }
  });

  it("waits for Retry-After on 429 and then succeeds", async () => {
    const w = await zdWorld();
    try {
      w.fake.throttle(1, { path: "/api/v2/tickets/4401.json", retryAfterSeconds: 1 });
      const started = Date.now();
      assert.equal((await w.system.ticketContact("4401")).name, "Jane Doe");
      assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
      assert.deepEqual(
        w.fake.requests.map((r) => r.status),
        [429, 200, 200],
      );
    } finally {
      await w.close();
    }
  });

  it("probes with users/me and says who Verity is", async () => {
    const w = await zdWorld();
    try {
      const probe = await w.system.probe?.();
      assert.equal(probe?.ok, true, probe?.detail);
      assert.match(probe?.detail ?? "", /Verity API \(role agent\)/);
    } finally {
      await w.close();
    }
  });
});

describe("Zendesk notes", () => {
  it("adds an internal (public: false) HTML comment with one PUT", async () => {
    const w = await zdWorld();
    try {
      await w.system.addPrivateNote({ ticket: "4401", html: "<p><b>Verity</b> started</p>" });
      const [note] = w.fake.notes(4401);
      assert.equal(note?.public, false);
      assert.match(note?.html_body ?? "", /<p><b>Verity<\/b> started<\/p>/);
      assert.equal(w.fake.count("PUT", "/api/v2/tickets/4401.json"), 1);
    } finally {
      await w.close();
    }
  });

  it("does not repeat a note after a 503, retries after a 429, and quotes a 422", async () => {
    const w = await zdWorld({ tickets: [{ id: 4401, requester_id: 7001 }, { id: 4405, requester_id: 7001, status: "closed" }] });
    try {
      w.fake.fail({ path: "/api/v2/tickets/4401.json", method: "PUT" });
      const down = await rejectsWith(w.system.addPrivateNote({ ticket: "4401", html: "<p>x</p>" }), "TICKETING_UNAVAILABLE");
      assert.deepEqual(down.details, { operation: "note", status: 503, ambiguous: true });
      assert.equal(w.fake.count("PUT", "/api/v2/tickets/4401.json"), 1);
      w.fake.heal();
      w.fake.throttle(1, { path: "/api/v2/tickets/4401.json", method: "PUT" });
      await w.system.addPrivateNote({ ticket: "4401", html: "<p>x</p>" });
      assert.equal(w.fake.notes(4401).length, 1);
      const closed = await rejectsWith(w.system.addPrivateNote({ ticket: "4405", html: "<p>x</p>" }), "TICKETING_ERROR");
      assert.match(closed.message, /Status: closed prevents ticket update/);
    } finally {
      await w.close();
    }
  });

  it("maps a 403 and a 409 as documented", () => {
    const op = { label: "add an internal note to ticket 1", kind: "note" as const, ticketId: 1 };
    const forbidden = zendeskApiError({ status: 403, headers: {}, text: JSON.stringify({ error: { title: "Forbidden", message: "You do not have access" } }), attempts: 1 }, op, "https://acme.zendesk.com");
    assert.equal(forbidden.code, "UPSTREAM_AUTH_FAILED");
    assert.match(forbidden.message, /Forbidden; You do not have access/);
    const conflict = zendeskApiError({ status: 409, headers: { "retry-after": "2" }, text: "", attempts: 1 }, op, "https://acme.zendesk.com");
    assert.equal(conflict.code, "TICKETING_UNAVAILABLE");
    assert.equal(conflict.retryAfterSeconds, 2);
    assert.deepEqual(conflict.details, { operation: "note", status: 409, ambiguous: false });
  });

  it("finds a marker on a later cursor page, and says false when it is nowhere", async () => {
    const w = await zdWorld();
    try {
      for (let i = 0; i < 250; i += 1) w.fake.addComment(4401, `reply ${i}`);
      await w.system.addPrivateNote({ ticket: "4401", html: "<p>marker-xyz</p>" });
      assert.equal(await w.system.hasNoteWith("4401", "marker-xyz"), true);
      const pages = w.fake.requests.filter((r) => r.path.endsWith("/comments.json"));
      assert.equal(pages.length, 3);
      assert.equal(pages[0]?.query["page[size]"], "100");
      assert.equal(pages[0]?.query["page[after]"], undefined);
      assert.ok(pages[1]?.query["page[after]"] !== undefined && pages[2]?.query["page[after]"] !== undefined);
      assert.equal(await w.system.hasNoteWith("4401", "marker-nope"), false);
    } finally {
      await w.close();
    }
  });

  it("says null when it cannot tell (an outage, or more comments than a ticket can hold)", async () => {
    const w = await zdWorld();
    try {
      w.fake.fail({ path: "/api/v2/tickets/4401/comments.json" });
      assert.equal(await w.system.hasNoteWith("4401", "x"), null);
      w.fake.heal();
      for (let i = 0; i < 5001; i += 1) w.fake.addComment(4401, "chatter");
      const before = w.fake.count("GET", "/api/v2/tickets/4401/comments.json");
      assert.equal(await w.system.hasNoteWith("4401", "x"), null);
      assert.equal(w.fake.count("GET", "/api/v2/tickets/4401/comments.json") - before, 50);
    } finally {
      await w.close();
    }
  });
});
