import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HaloClient } from "../../../src/adapters/ticketing/halopsa/halopsa-client.js";
import { type FakeHalo, startFakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { haloClient, rejectsWith } from "./halo-test-setup.js";

describe("HaloPSA client: tickets, users and agents", () => {
  let halo: FakeHalo;
  let client: HaloClient;
  before(async () => {
    halo = await startFakeHalo();
    client = haloClient(halo).client;
  });
  after(async () => {
    await client.close();
    await halo.close();
  });

  it("reads a ticket with details, ignoring the many fields Verity does not use", async () => {
    assert.deepEqual(await client.getTicket(4242), {
      id: 4242,
      summary: "Password reset for Jane",
      userId: 101,
      userName: "Jane Doe",
      clientId: 12,
      siteId: 31,
      agentId: 3,
      closed: false,
    });
    const request = halo.requests.find((r) => r.path === "/api/Tickets/4242");
    assert.equal(request?.query.includedetails, "true");
  });

  it("gives null for ticket fields Halo leaves out or sends in an odd type", async () => {
    halo.state.tickets.set(4300, { id: 4300, summary: "Odd", user_id: "x" as unknown as number, client_id: "12" as unknown as number });
    assert.deepEqual(await client.getTicket(4243), {
      id: 4243,
      summary: "Sparse ticket",
      userId: null,
      userName: null,
      clientId: null,
      siteId: null,
      agentId: null,
      closed: null,
    });
    const odd = await client.getTicket(4300);
    assert.deepEqual([odd.userId, odd.clientId], [null, 12]);
  });

  it("maps a missing ticket to TICKET_NOT_FOUND, without retrying", async () => {
    const before = halo.count("GET", "/api/Tickets/999");
    await rejectsWith(client.getTicket(999), "TICKET_NOT_FOUND");
    assert.equal(halo.count("GET", "/api/Tickets/999") - before, 1);
  });

  it("refuses ids that are not positive whole numbers before calling Halo", async () => {
    const count = halo.requests.length;
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60, "12" as unknown as number]) {
      await rejectsWith(client.getTicket(bad), "VALIDATION_FAILED");
    }
    await rejectsWith(client.findUsersByEmail("not an email"), "VALIDATION_FAILED");
    await rejectsWith(client.findUsersByEmail(`${"a".repeat(250)}@x.example`), "VALIDATION_FAILED");
    assert.equal(halo.requests.length, count);
  });

  it("reads a user, and gives null for a user Halo does not have", async () => {
    assert.deepEqual(await client.getUser(101), {
      id: 101,
      name: "Jane Doe",
      email: "Jane.Doe@acme.example",
      clientId: 12,
      siteId: 31,
      azureOid: "7d3e2c1a-0000-4000-8000-000000000101",
    });
    assert.deepEqual(await client.getUser(104), { id: 104, name: "No Mail", email: null, clientId: 12, siteId: null, azureOid: null });
    assert.equal(await client.getUser(5555), null);
  });

  it("finds users by exact email, ignoring case, within a client when asked", async () => {
    const inClient = await client.findUsersByEmail(" jane.doe@ACME.example ", 12);
    assert.deepEqual(inClient.map((u) => u.id), [101]);
    const request = halo.requests.filter((r) => r.path === "/api/Users").at(-1);
    assert.deepEqual(request?.query, {
      search: "jane.doe@ACME.example",
      includeinactive: "false",
      pageinate: "false",
      client_id: "12",
    });
    const everywhere = await client.findUsersByEmail("jane.doe@acme.example");
    assert.deepEqual(everywhere.map((u) => u.id).sort(), [101, 201]);
    assert.deepEqual(await client.findUsersByEmail("nobody@acme.example"), []);
  });

  it("reads an agent, and gives null for an unknown agent", async () => {
    assert.deepEqual(await client.getAgent(3), { id: 3, name: "Terry Tech", email: "terry@msp.example" });
    assert.equal(await client.getAgent(77), null);
  });

  it("retries reads Halo throttled with 429", async () => {
    halo.throttle(2, { path: "/api/Agent" });
    assert.equal((await client.getAgent(3))?.id, 3);
    assert.deepEqual(
      halo.requests.filter((r) => r.path === "/api/Agent/3").slice(-3).map((r) => r.outcome),
      [429, 429, 200],
    );
  });

  it("explains a 403 as a permission of the API application's agent", async () => {
    halo.fail("forbidden", { path: "/api/Users" });
    try {
      const error = await rejectsWith(client.getUser(101), "UPSTREAM_AUTH_FAILED");
      assert.match(error.message, /logs in as an agent/);
      assert.match(error.message, /read users/);
      assert.match(error.message, /You do not have permission/);
    } finally {
      halo.heal();
    }
  });

  it("reports an outage or a hang after the retry budget as TICKETING_UNAVAILABLE", async () => {
    halo.fail("down", { path: "/api/Tickets" });
    const before = halo.count("GET", "/api/Tickets/4242");
    const down = await rejectsWith(client.getTicket(4242), "TICKETING_UNAVAILABLE");
    assert.equal(down.retryable, true);
    assert.equal(halo.count("GET", "/api/Tickets/4242") - before, 4);
    halo.heal();
    const impatient = haloClient(halo, { timeoutMs: 300 }, undefined, { maxRetries: 1 }).client;
    halo.fail("hang", { path: "/api/Tickets" });
    const hang = await rejectsWith(impatient.getTicket(4242), "TICKETING_UNAVAILABLE");
    assert.match(hang.message, /did not answer within/);
    halo.heal();
    halo.fail("reset", { path: "/api/Tickets" });
    await rejectsWith(impatient.getTicket(4242), "TICKETING_UNAVAILABLE");
    halo.heal();
    await impatient.close();
    assert.equal((await client.getTicket(4242)).id, 4242);
  });
});
