import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createHaloTicketing } from "../../../src/adapters/ticketing/halopsa/halopsa-ticketing.js";
import { startFakeHalo, type FakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { freePort } from "../../helpers/net.js";
import { CLIENT_SECRET, haloClient } from "./halo-test-setup.js";

describe("HaloPSA: the connection test", () => {
  let fake: FakeHalo;
  before(async () => {
    fake = await startFakeHalo();
  });
  after(() => fake.close());
  beforeEach(() => fake.heal());

  it("fetches a new token and reads one page of one ticket, writing nothing", async () => {
    const system = createHaloTicketing("halo", haloClient(fake).client);
    assert.equal((await system.probe?.())?.ok, true);
    const before = fake.requests.length;
    const result = await system.probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.equal(result.detail, `HaloPSA issued an access token to client verity-client and its API agent can read tickets (${fake.apiUrl}). Nothing was written.`);
    const made = fake.requests.slice(before);
    assert.deepEqual(made.map((r) => `${r.method} ${r.path}`), ["POST /auth/token", "GET /api/Tickets"]);
    assert.deepEqual(made[1]?.query, { pageinate: "true", page_size: "1", page_no: "1" });
    assert.equal(fake.state.actions.length, 0);
  });

  it("says the client id or secret is wrong, and where to look, without repeating the secret", async () => {
    const result = await haloClient(fake, { clientSecret: "wrong-secret-0123456789" }).client.probe();
    assert.equal(result.ok, false);
    assert.match(result.detail, /^HaloPSA did not issue an access token \(HTTP 401: invalid_client\)\. Check clientId and clientSecret against the API application/);
    assert.ok(!result.detail.includes("wrong-secret") && !result.detail.includes(CLIENT_SECRET));
  });

  it("names the permission the API agent lacks", async () => {
    fake.fail("forbidden", { path: "/api/Tickets" });
    const result = await haloClient(fake).client.probe();
    assert.equal(result.ok, false);
    assert.match(result.detail, /^HaloPSA refused to read a page of tickets \(a connection test\) \(HTTP 403: You do not have permission to perform this action\)\. The API application logs in as an agent: give that agent permission to read tickets/);
  });

  it("says apiUrl is not the Resource Server when Halo knows no such path", async () => {
    const result = await haloClient(fake, { apiUrl: `${fake.apiUrl}/v2` }).client.probe();
    assert.equal(result.ok, false);
    assert.match(result.detail, /Check that apiUrl \(.*\/api\/v2\) is the Resource Server/);
  });

  it("says HaloPSA cannot be reached", async () => {
    const port = await freePort();
    const result = await haloClient({ authUrl: `http://127.0.0.1:${port}/auth`, apiUrl: `http://127.0.0.1:${port}/api` }).client.probe();
    assert.equal(result.ok, false);
    assert.match(result.detail, /^HaloPSA's authorisation server \(http:\/\/127\.0\.0\.1:\d+\/auth\) did not answer: HaloPSA could not be reached \(ECONNREFUSED\)\.$/);
  });
});
