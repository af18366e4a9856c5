import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type FakeHalo, startFakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { createFakeClock } from "../../helpers/clock.js";
import { CLIENT_SECRET, haloClient, rejectsWith } from "./halo-test-setup.js";

describe("HaloPSA client: access tokens", () => {
  const fakes: FakeHalo[] = [];
  const fake = async (options: Parameters<typeof startFakeHalo>[0] = {}) => {
    const f = await startFakeHalo(options);
    fakes.push(f);
    return f;
  };
  after(() => Promise.all(fakes.map((f) => f.close())));

  it("posts the client-credentials form without a tenant for self-hosted instances", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    await client.getTicket(4242);
    assert.deepEqual(halo.tokenRequests, [{ tenant: null, clientId: "verity-client", scope: "all", grantType: "client_credentials" }]);
    await client.close();
  });

  it("sends ?tenant= for Halo-hosted instances, and explains a missing tenant", async () => {
    const halo = await fake({ tenant: "acme" });
    const ok = haloClient(halo, { tenant: "acme", scope: "read:tickets edit:tickets read:customers" });
    assert.equal((await ok.client.getTicket(4242)).id, 4242);
    assert.deepEqual(halo.tokenRequests[0], { tenant: "acme", clientId: "verity-client", scope: "read:tickets edit:tickets read:customers", grantType: "client_credentials" });
    const missing = haloClient(halo);
    const error = await rejectsWith(missing.client.getTicket(4242), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /tenant/);
    await Promise.all([ok.client.close(), missing.client.close()]);
  });

  it("refuses a wrong secret with advice, never quoting the secret", async () => {
    const halo = await fake();
    const { client, logs } = haloClient(halo, { clientSecret: "not-the-secret-at-all" });
    const error = await rejectsWith(client.getTicket(4242), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /HTTP 401: invalid_client/);
    assert.match(error.message, /Client ID and Secret \(Services\)/);
    assert.ok(!error.message.includes("not-the-secret-at-all"));
    assert.ok(!logs.join("\n").includes("not-the-secret-at-all"));
    assert.equal(halo.count("GET", "/api/"), 0);
    await client.close();
  });

  it("reuses a cached token, and concurrent first calls share one token request", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    const results = await Promise.all([4242, 4243, 4242, 4243, 4242].map((id) => client.getTicket(id)));
    assert.equal(results.length, 5);
    await client.getUser(101);
    assert.equal(halo.tokenRequests.length, 1);
    await client.close();
  });

  it("fetches a new token shortly before expires_in, by the injected clock", async () => {
    const clock = createFakeClock();
    const halo = await fake({ tokenLifetimeSeconds: 120, now: () => clock.now().getTime() });
    const { client } = haloClient(halo, {}, clock);
    await client.getTicket(4242);
    clock.advance(60_000);
    await client.getTicket(4242);
    assert.equal(halo.tokenRequests.length, 1);
    clock.advance(35_000); // inside the refresh margin: still valid at Halo, renewed anyway
    await client.getTicket(4242);
    assert.equal(halo.tokenRequests.length, 2);
    assert.equal(halo.requests.filter((r) => r.outcome === 401).length, 0);
    await client.close();
  });

  it("fetches a new token once after a 401 and repeats the call once", async () => {
    const halo = await fake();
    const { client, logs } = haloClient(halo);
    await client.getTicket(4242);
    halo.revokeTokens();
    assert.equal((await client.getTicket(4242)).id, 4242);
    assert.equal(halo.tokenRequests.length, 2);
    assert.deepEqual(
      halo.requests.filter((r) => r.path.startsWith("/api/")).map((r) => r.outcome),
      [200, 401, 200],
    );
    assert.ok(logs.some((l) => l.includes("fetching a new one")));
    await client.close();
  });

  it("gives up with UPSTREAM_AUTH_FAILED when the fresh token is refused too", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    halo.fail("unauthorized", { path: "/api/" });
    const error = await rejectsWith(client.getTicket(4242), "UPSTREAM_AUTH_FAILED");
    assert.match(error.message, /even after a fresh one/);
    assert.equal(halo.tokenRequests.length, 2);
    assert.equal(halo.count("GET", "/api/Tickets"), 2);
    await client.close();
  });

  it("reports an unreachable authorisation server as TICKETING_UNAVAILABLE (retryable)", async () => {
    const halo = await fake();
    const { client } = haloClient(halo);
    halo.fail("down", { path: "/auth/token" });
    const error = await rejectsWith(client.getTicket(4242), "TICKETING_UNAVAILABLE");
    assert.equal(error.retryable, true);
    assert.equal(halo.tokenRequests.length, 0); // 503 before the fake read the form
    assert.equal(halo.count("POST", "/auth/token"), 4);
    await client.close();
  });

  it("never logs the client secret or an access token", async () => {
    const halo = await fake();
    const { client, logs } = haloClient(halo);
    await client.getTicket(4242);
    halo.revokeTokens();
    await client.getTicket(4242);
    const text = logs.join("\n");
    assert.ok(!text.includes(CLIENT_SECRET));
    assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.test(text), "no token-shaped value in logs");
    await client.close();
  });
});
