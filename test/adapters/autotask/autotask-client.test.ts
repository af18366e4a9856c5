import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAutotaskTicketing } from "../../../src/adapters/ticketing/autotask/autotask-ticketing.js";
import { FAKE_AUTOTASK_CREDENTIALS, startFakeAutotask } from "../../fakes/autotask/fake-autotask.js";
import { autotaskClient, rejectsWith, SAMPLE, withAutotask } from "./autotask-test-setup.js";

describe("Autotask zone discovery and headers", () => {
  it("looks the zone up once for concurrent and later calls, without sending the API credentials to the lookup", async () => {
    await withAutotask({}, async (fake, client) => {
      await Promise.all([client.getTicket(4242), client.getContact(501), client.getResource(29_682_885)]);
      await client.getTicket(4243);
      const lookups = fake.requests.filter((r) => /zoneInformation$/i.test(r.path));
      assert.equal(lookups.length, 1);
      assert.equal(lookups[0]?.query.user, FAKE_AUTOTASK_CREDENTIALS.username);
      for (const header of ["apiintegrationcode", "username", "secret"]) assert.equal(lookups[0]?.headers[header], undefined, header);
    });
  });

  it("sends ApiIntegrationCode, UserName and Secret on every zone call", async () => {
    await withAutotask({}, async (fake, client) => {
      await client.getTicket(4242);
      const call = fake.requests.find((r) => r.path === "/v1.0/Tickets/4242");
      assert.equal(call?.headers.apiintegrationcode, FAKE_AUTOTASK_CREDENTIALS.integrationCode);
      assert.equal(call?.headers.username, FAKE_AUTOTASK_CREDENTIALS.username);
      assert.equal(call?.headers.secret, FAKE_AUTOTASK_CREDENTIALS.secret);
      assert.equal(call?.status, 200);
    });
  });

  it("skips discovery when zoneUrl is configured", async () => {
    const fake = await startFakeAutotask(SAMPLE);
    const { client } = autotaskClient(fake, { zoneUrl: fake.zoneUrl });
    try {
      assert.equal((await client.getTicket(4242)).contactID, 501);
      assert.equal(fake.count("GET", "/atservicesrest/v1.0/zoneInformation"), 0);
    } finally {
      await client.close();
      await fake.close();
    }
  });

  it("looks the zone up again after a 401 and retries there once when the database moved", async () => {
    await withAutotask({}, async (fake, client, logs) => {
      await client.getTicket(4242);
      fake.moveZone();
      assert.equal((await client.getTicket(4242)).id, 4242);
      assert.equal(fake.count("GET", "/atservicesrest/v1.0/zoneInformation"), 2);
      assert.ok(logs.some((l) => l.includes("zone for the API user changed")));
    });
  });

  it("reports wrong credentials as UPSTREAM_AUTH_FAILED after one more lookup, not a loop", async () => {
    const fake = await startFakeAutotask(SAMPLE);
    const { client } = autotaskClient(fake, { secret: "wrong-secret-0123456789" });
    try {
      const error = await rejectsWith(client.getTicket(4242), "UPSTREAM_AUTH_FAILED");
      assert.match(error.message, /integrationCode/);
      assert.ok(!error.message.includes("wrong-secret"), "no secret in the message");
      assert.equal(fake.count("GET", "/atservicesrest/v1.0/zoneInformation"), 2);
      assert.equal(fake.count("GET", "/v1.0/Tickets/4242"), 1, "the same zone again: not sent twice");
    } finally {
      await client.close();
      await fake.close();
    }
  });

  it("refuses a zone lookup for an unknown API user with a message naming it", async () => {
    const fake = await startFakeAutotask(SAMPLE);
    const { client } = autotaskClient(fake, { username: "nobody@msp.example" });
    try {
      const error = await rejectsWith(client.getTicket(4242), "UPSTREAM_AUTH_FAILED");
      assert.match(error.message, /nobody@msp\.example/);
    } finally {
      await client.close();
      await fake.close();
    }
  });
});

describe("Autotask reads", () => {
  it("reads the ticket's contact through contactID, from the item wrapper", async () => {
    await withAutotask({}, async (_fake, client) => {
      const system = createAutotaskTicketing("desk", client);
      assert.deepEqual(await system.ticketContact("4242"), { email: "jane.doe@contoso.example", directoryId: null, name: "Jane Doe" });
      assert.deepEqual(await system.ticketContact("4243"), { email: null, directoryId: null, name: null });
    });
  });

  it("reports a missing ticket ({item: null}) and a non-numeric reference as TICKET_NOT_FOUND", async () => {
    await withAutotask({}, async (_fake, client) => {
      const system = createAutotaskTicketing("desk", client);
      await rejectsWith(system.ticketContact("999"), "TICKET_NOT_FOUND");
      await rejectsWith(system.ticketContact("T20261207.0001"), "TICKET_NOT_FOUND");
    });
  });

  it("names the agent from Resources, and null for an unknown or odd id", async () => {
    await withAutotask({}, async (_fake, client) => {
      const system = createAutotaskTicketing("desk", client);
      assert.equal(await system.agentName?.("29682885"), "Terry Tech");
      assert.equal(await system.agentName?.("12345"), null);
      assert.equal(await system.agentName?.("../x"), null);
    });
  });

  it("honours Retry-After on a 429 (the hourly limit) and then succeeds", async () => {
    await withAutotask({}, async (fake, client) => {
      await client.getTicket(4242);
      fake.throttle(1, 1, { path: "/v1.0/Tickets/4242" });
      const started = Date.now();
      assert.equal((await client.getTicket(4242)).id, 4242);
      assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms`);
      assert.deepEqual(fake.requests.filter((r) => r.path === "/v1.0/Tickets/4242").map((r) => r.status), [200, 429, 200]);
    });
  });

  it("gives up on a Retry-After longer than it may wait, as TICKETING_UNAVAILABLE with the wait", async () => {
    await withAutotask({}, async (fake, client) => {
      fake.throttle(5, 3600, { path: "/v1.0/Tickets/" });
      const error = await rejectsWith(client.getTicket(4242), "TICKETING_UNAVAILABLE");
      assert.equal(error.retryAfterSeconds, 3600);
      assert.equal(fake.count("GET", "/v1.0/Tickets/4242"), 1);
    });
  });

  it("probes: zone, publish choice and one ticket query, writing nothing", async () => {
    await withAutotask({}, async (fake, client) => {
      const result = await client.probe();
      assert.equal(result.ok, true, result.detail);
      assert.match(result.detail, /published as value 2/);
      assert.equal(fake.state.notes.length, 0);
      fake.fail({ path: "/v1.0/Tickets/query" });
      assert.equal((await client.probe()).ok, false);
    });
  });
});
