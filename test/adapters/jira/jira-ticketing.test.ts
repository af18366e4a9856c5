import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createJsmTicketing } from "../../../src/adapters/ticketing/jira/jira-ticketing.js";
import type { TicketingSystem } from "../../../src/domain/ports.js";
import { startFakeJira, type FakeJira } from "../../fakes/jira/fake-jira.js";
import { jsmClient, rejectsWith, REPORTERS, REQUESTS } from "./jira-test-setup.js";

const NOTE = '<p><b>Verity identity check started</b></p><ul><li>Caller account: Jane &amp; co</li></ul><p>Ask the caller. <a href="https://verity.example/v/0b8a4c1e-0000-4000-8000-000000000001#t=cap_ab-12">Open the verification in Verity</a>.</p><p><small>marker-7f3e</small></p>';

describe("Jira Service Management: reads and internal comments", () => {
  let jira: FakeJira;
  let system: TicketingSystem;
  let close: () => Promise<void>;
  before(async () => {
    jira = await startFakeJira({ users: REPORTERS, requests: [...REQUESTS, { issueId: "10103", issueKey: "ITS-103", summary: "Busy ticket", reporter: "qm:1111-jane" }] });
    const { client } = jsmClient(jira);
    system = createJsmTicketing("desk", client);
    close = () => client.close();
  });
  after(async () => {
    await close();
    await jira.close();
  });
  beforeEach(() => jira.heal());

  it("reads the request's reporter as the contact, by key or by issue id", async () => {
    assert.deepEqual(await system.ticketContact("ITS-101"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" });
    assert.deepEqual(await system.ticketContact("10101"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" });
    assert.deepEqual(await system.ticketContact("its-101"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" }, "keys are case-insensitive");
    const read = jira.requests.filter((r) => r.path.startsWith("/rest/servicedeskapi/request/"));
    assert.ok(read.every((r) => r.authenticated), "Basic email:token on every call");
  });

  it("returns a null email when profile visibility withholds the reporter's address", async () => {
    assert.deepEqual(await system.ticketContact("ITS-102"), { email: null, directoryId: null, name: "Sam Smith" });
  });

  it("refuses references that are not issue keys or ids before calling Jira", async () => {
    const before = jira.requests.length;
    for (const bad of ["ITS 101", "ITS-", "-101", "../rest/api/3/myself", "1ITS-2", "ITS-0", "ITS-101/comment", "", "0"]) {
      await rejectsWith(system.ticketContact(bad), "TICKET_NOT_FOUND");
    }
    assert.equal(jira.requests.length, before, "nothing was sent");
  });

  it("maps an unknown request to TICKET_NOT_FOUND", async () => {
    const error = await rejectsWith(system.ticketContact("ITS-999"), "TICKET_NOT_FOUND");
    assert.match(error.message, /Service Desk Team/);
  });

  it("posts the note as an internal comment (public: false) in plain text, the link as [label|url]", async () => {
    await system.addPrivateNote({ ticket: "ITS-101", html: NOTE });
    const [comment] = jira.comments("ITS-101");
    assert.ok(comment !== undefined);
    assert.equal(comment.public, false);
    assert.equal(
      comment.body,
      "Verity identity check started\n- Caller account: Jane & co\nAsk the caller. [Open the verification in Verity|https://verity.example/v/0b8a4c1e-0000-4000-8000-000000000001#t=cap_ab-12].\nmarker-7f3e",
    );
    assert.equal(await system.hasNoteWith("ITS-101", "marker-7f3e"), true);
  });

  it("follows isLastPage through the internal comments, and ignores public ones", async () => {
    jira.addComments("ITS-103", [{ body: "public marker-public", public: true }]);
    jira.addComments("ITS-103", Array.from({ length: 120 }, (_, i) => ({ body: `internal ${i}`, public: false })));
    jira.addComments("ITS-103", [{ body: "last one marker-last", public: false }]);
    const before = jira.requests.length;
    assert.equal(await system.hasNoteWith("ITS-103", "marker-last"), true);
    const pages = jira.requests.slice(before).filter((r) => r.path === "/rest/servicedeskapi/request/ITS-103/comment");
    assert.deepEqual(pages.map((p) => p.query.start), ["0", "50", "100"]);
    assert.ok(pages.every((p) => p.query.internal === "true" && p.query.public === "false" && p.query.limit === "50"));
    assert.equal(await system.hasNoteWith("ITS-103", "marker-public"), false, "a public comment is not Verity's internal note");
    assert.equal(await system.hasNoteWith("ITS-103", "marker-nowhere"), false);
  });

  it("says it cannot tell (null) when Jira fails or the comments run past its page budget", async () => {
    jira.fail({ pathPattern: /\/comment$/ });
    assert.equal(await system.hasNoteWith("ITS-101", "marker-7f3e"), null);
    jira.heal();
    jira.addComments("ITS-102", Array.from({ length: 1001 }, (_, i) => ({ body: `internal ${i}`, public: false })));
    assert.equal(await system.hasNoteWith("ITS-102", "never"), null);
  });

  it("names the agent a trigger gives by accountId, and nothing for unknown or odd ids", async () => {
    assert.equal(await system.agentName?.("712020:tech-tess"), "Tess Technician");
    assert.equal(await system.agentName?.("712020:nobody"), null);
    assert.equal(await system.agentName?.("not an id"), null);
  });
});

describe("Jira Service Management: failures mapped", () => {
  let jira: FakeJira;
  before(async () => {
    jira = await startFakeJira({ users: REPORTERS, requests: [...REQUESTS] });
  });
  after(() => jira.close());
  beforeEach(() => jira.heal());

  it("honours Retry-After on a 429, for a read and for a comment", async () => {
    const { client } = jsmClient(jira);
    try {
      jira.throttle(1, { path: "/rest/servicedeskapi/request/ITS-101", method: "GET", retryAfterSeconds: 1 });
      const started = Date.now();
      const request = await client.getRequest("ITS-101");
      assert.equal(request.reporter?.displayName, "Jane Doe");
      assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
      assert.deepEqual(jira.requests.filter((r) => r.path === "/rest/servicedeskapi/request/ITS-101").map((r) => r.status).slice(-2), [429, 200]);

      jira.throttle(1, { pathPattern: /\/comment$/, method: "POST", retryAfterSeconds: 1 });
      const noteStarted = Date.now();
      await client.addInternalComment("ITS-101", "after a 429");
      assert.ok(Date.now() - noteStarted >= 950, "a comment Jira refused with 429 was not created, so it is sent again after the wait");
      assert.equal(jira.comments("ITS-101").filter((c) => c.body === "after a 429").length, 1);
    } finally {
      await client.close();
    }
  });

  it("does not wait out a Retry-After longer than its budget: TICKETING_UNAVAILABLE with retryAfterSeconds", async () => {
    const { client } = jsmClient(jira, {}, { maxRetryAfterMs: 500 });
    try {
      jira.throttle(1, { path: "/rest/servicedeskapi/request/ITS-101", retryAfterSeconds: 30 });
      const error = await rejectsWith(client.getRequest("ITS-101"), "TICKETING_UNAVAILABLE");
      assert.equal(error.retryAfterSeconds, 30);
    } finally {
      await client.close();
    }
  });

  it("maps a refused API token (401) to UPSTREAM_AUTH_FAILED without echoing the token", async () => {
    const { client } = jsmClient({ ...jira, apiToken: "ATATT-wrong-token-0000" });
    try {
      const error = await rejectsWith(client.getRequest("ITS-101"), "UPSTREAM_AUTH_FAILED");
      assert.match(error.message, /HTTP 401: Client must be authenticated/);
      assert.match(error.message, /API token/);
      assert.ok(!error.message.includes("ATATT-wrong-token"));
      await rejectsWith(client.addInternalComment("ITS-101", "x"), "UPSTREAM_AUTH_FAILED");
      assert.equal(jira.comments("ITS-101").filter((c) => c.body === "x").length, 0);
      const probe = await client.probe();
      assert.equal(probe.ok, false);
      assert.match(probe.detail, /401/);
    } finally {
      await client.close();
    }
  });

  it("reports a 503 on a comment as retryable and possibly created (ambiguous)", async () => {
    const { client } = jsmClient(jira);
    try {
      jira.fail({ pathPattern: /\/comment$/, method: "POST" });
      const posts = jira.count("POST", "/rest/servicedeskapi/request/ITS-101/comment");
      const error = await rejectsWith(client.addInternalComment("ITS-101", "while down"), "TICKETING_UNAVAILABLE");
      assert.equal(error.retryable, true);
      assert.equal((error.details as { ambiguous?: boolean }).ambiguous, true);
      assert.equal(jira.count("POST", "/rest/servicedeskapi/request/ITS-101/comment"), posts + 1, "a comment is never re-sent after a 503");
    } finally {
      await client.close();
    }
  });

  it("probes with myself and the service desk info, writing nothing", async () => {
    const { client } = jsmClient(jira);
    try {
      const before = jira.count("POST", "/");
      const probe = await client.probe();
      assert.equal(probe.ok, true, probe.detail);
      assert.match(probe.detail, /Verity Agent/);
      assert.equal(jira.count("POST", "/"), before);
    } finally {
      await client.close();
    }
  });
});
