import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { decodeRef } from "../../../src/adapters/push/entra-mfa/transaction-ref.js";
import { startFakeEntraMfa } from "../../fakes/entra-mfa/fake-entra-mfa.js";
import { failure, pollUntilAnswered, pushRequest, seed, startHarness, waitFor, type Harness } from "./entra-mfa-fixtures.js";
import { createFakeClock } from "../../helpers/clock.js";
import { createEntraMfaPushProvider } from "../../../src/adapters/push/entra-mfa/entra-mfa-push.js";
import { pino } from "pino";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BEGIN = "/connector/BeginTwoWayAuthentication";
const END = "/connector/EndTwoWayAuthentication";

describe("Entra MFA push: async pushes in real time", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ realTime: true });
  });
  after(() => h.close());

  it("polls EndTwoWayAuthentication until the caller approves, sending CIPP's request shape", async () => {
    h.fake.setCaller("jane.doe@contoso.example", { action: "approve", afterMs: 1200 });
    const provider = h.provider();
    assert.ok((provider.pollIntervalMs ?? 1000) <= 750);
    const started = await provider.startPush(pushRequest("jane.doe@contoso.example"));
    const { status, polls } = await pollUntilAnswered(provider, started.transactionRef);
    assert.equal(status.outcome, "approved");
    assert.ok(polls >= 2, `polled ${polls} times`);

    const begin = h.fake.requests.find((r) => r.path === BEGIN);
    assert.deepEqual(begin?.elements, [
      "Version",
      "UserPrincipalName",
      "Lcid",
      "AuthenticationMethodId",
      "AuthenticationMethodProperties",
      "ContextId",
      "SyncCall",
      "RequireUserMatch",
      "CallerName",
      "CallerIP",
    ]);
    assert.equal(begin?.fields?.UserPrincipalName, "jane.doe@contoso.example");
    assert.equal(begin?.fields?.AuthenticationMethodId, "PhoneAppNotification");
    assert.equal(begin?.fields?.SyncCall, "false");
    assert.equal(begin?.fields?.CallerName, "Verity");
    assert.equal(begin?.fields?.Lcid, "en-us");
    assert.match(begin?.fields?.ContextId ?? "", GUID);
    const ends = h.fake.requests.filter((r) => r.path === END);
    assert.equal(ends.length, polls);
    assert.deepEqual(ends[0]?.elements, ["Version", "SessionId", "ContextId", "AdditionalAuthData", "UserPrincipalName"]);
    assert.equal(ends[0]?.fields?.AdditionalAuthData, null);
    assert.equal(ends[0]?.query.dc, "KRS", "polls keep the session's datacenter affinity");
  });
});

describe("Entra MFA push: outcomes", () => {
  let h: Harness & { clock: ReturnType<typeof createFakeClock> };
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("uses a fresh ContextId for every request", async () => {
    const provider = h.provider();
    await provider.startPush(pushRequest("quiet@contoso.example"));
    await provider.startPush(pushRequest("quiet@contoso.example"));
    const ids = h.fake.requests.filter((r) => r.path === BEGIN).map((r) => r.fields?.ContextId);
    assert.equal(new Set(ids).size, 2);
  });

  it("reports a denial", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("sam@contoso.example"));
    assert.equal((await provider.pollPush(transactionRef)).outcome, "waiting");
    h.clock.advance(1000);
    const status = await provider.pollPush(transactionRef);
    assert.equal(status.outcome, "denied");
    assert.match(status.detail ?? "", /denied.*PhoneAppDenied/);
  });

  it("reports fraud", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("mallory@contoso.example"));
    h.clock.advance(1000);
    const status = await provider.pollPush(transactionRef);
    assert.equal(status.outcome, "fraud");
    assert.match(status.detail ?? "", /fraud.*PhoneAppFraudReported/);
  });

  it("reports a timeout when nobody answers, and when the session has expired", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("quiet@contoso.example"));
    h.clock.advance(59_000);
    assert.equal((await provider.pollPush(transactionRef)).outcome, "waiting");
    h.clock.advance(1000);
    const noResponse = await provider.pollPush(transactionRef);
    assert.equal(noResponse.outcome, "timeout");
    assert.match(noResponse.detail ?? "", /PhoneAppNoResponse/);
    h.clock.advance(120_000);
    const expired = await provider.pollPush(transactionRef);
    assert.equal(expired.outcome, "timeout");
    assert.match(expired.detail ?? "", /InvalidSession/);
  });

  it("ends a push the connector fails for good as failed (not a denial), with what to fix", async () => {
    const provider = h.provider();
    h.fake.setCaller("quiet@contoso.example", { action: "result", value: "PhoneAppAllDevicesBlocked", afterMs: 500 });
    try {
      const { transactionRef } = await provider.startPush(pushRequest("quiet@contoso.example"));
      h.clock.advance(500);
      const status = await provider.pollPush(transactionRef);
      assert.equal(status.outcome, "failed");
      assert.match(status.detail ?? "", /stopped answering notifications.*re-register the app/);
    } finally {
      h.fake.setCaller("quiet@contoso.example", { action: "ignore" });
    }
  });

  it("gives the technician the number to read out when the push is number-matched", async () => {
    const provider = h.provider();
    const started = await provider.startPush(pushRequest("matcher@contoso.example"));
    assert.equal(started.numberChallenge, "42");
    const plain = await provider.startPush(pushRequest("sam@contoso.example"));
    assert.equal(plain.numberChallenge, undefined);
  });

  it("a caller who picks the wrong number has denied the push", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("matcher@contoso.example"));
    assert.ok(h.fake.answer("matcher@contoso.example", { kind: "approve", number: 17 }));
    const status = await provider.pollPush(transactionRef);
    assert.equal(status.outcome, "denied");
    assert.match(status.detail ?? "", /wrong number/);
  });

  it("leaves the method to the user's default with pushMethod: default", async () => {
    const provider = h.provider({ pushMethod: "default" });
    await provider.startPush(pushRequest("jane.doe@contoso.example"));
    const begin = h.fake.requests.find((r) => r.path === BEGIN);
    assert.equal(begin?.fields?.AuthenticationMethodId, undefined);
    assert.ok(!(begin?.elements ?? []).includes("AuthenticationMethodId"));
  });

  it("cancelPush calls nothing: the connector has no cancel", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("quiet@contoso.example"));
    h.fake.resetStats();
    await provider.cancelPush(transactionRef);
    assert.equal(h.fake.requests.length, 0);
  });
});

describe("Entra MFA push: sync mode", () => {
  let h: Harness & { clock: ReturnType<typeof createFakeClock> };
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("holds BeginTwoWayAuthentication until the caller answers, then needs no poll", async () => {
    const provider = h.provider({ mode: "sync" });
    let settled = false;
    const starting = provider.startPush(pushRequest("quiet@contoso.example")).finally(() => {
      settled = true;
    });
    await waitFor(() => h.fake.sessions.some((s) => s.upn === "quiet@contoso.example" && s.sync));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(settled, false, "the start request is still blocked");
    assert.ok(h.fake.answer("quiet@contoso.example", { kind: "approve" }));
    const started = await starting;
    const begin = h.fake.requests.find((r) => r.path === BEGIN && r.fields?.SyncCall === "true");
    assert.ok(begin !== undefined);
    h.fake.resetStats();
    assert.equal((await provider.pollPush(started.transactionRef)).outcome, "approved");
    assert.equal(h.fake.requests.length, 0);
  });

  it("reports a synchronous denial through the reference", async () => {
    const provider = h.provider({ mode: "sync" });
    const starting = provider.startPush(pushRequest("sam@contoso.example"));
    await waitFor(() => h.fake.sessions.some((s) => s.upn === "sam@contoso.example" && s.sync));
    h.clock.advance(1000);
    const { transactionRef } = await starting;
    const status = await provider.pollPush(transactionRef);
    assert.equal(status.outcome, "denied");
  });
});

describe("Entra MFA push: transaction references", () => {
  it("round-trip, so another instance resumes polling after a restart", async () => {
    const h = await startHarness();
    try {
      const first = h.provider();
      const { transactionRef } = await first.startPush(pushRequest("jane.doe@contoso.example"));
      const ref = decodeRef(transactionRef);
      assert.equal(ref.kind, "session");
      if (ref.kind === "session") {
        assert.equal(ref.tenant, "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a");
        assert.equal(ref.upn, "jane.doe@contoso.example");
        assert.match(ref.contextId, GUID);
        assert.equal(ref.sessionId, h.fake.sessions.at(-1)?.id);
      }
      await first.close();
      const second = h.provider();
      assert.equal((await second.pollPush(transactionRef)).outcome, "waiting");
      h.clock.advance(2000);
      assert.equal((await second.pollPush(transactionRef)).outcome, "approved");
      assert.equal(h.fake.tokensIssued(), 2, "the new instance signed in for itself");
    } finally {
      await h.close();
    }
  });

  it("refuses references it did not make, without an outcome", async () => {
    const h = await startHarness();
    try {
      const provider = h.provider();
      for (const ref of ["sim_123", "entra-mfa.v1.bm90LWpzb24", `entra-mfa.v1.${Buffer.from(JSON.stringify({ kind: "session", tenant: "x" })).toString("base64url")}`]) {
        assert.equal((await failure(provider.pollPush(ref))).code, "PROVIDER_ERROR");
      }
      assert.equal(h.fake.requests.length, 0);
    } finally {
      await h.close();
    }
  });

  it("never follows an AffinityUrl outside the configured connector", async () => {
    const clock = createFakeClock();
    const fake = await startFakeEntraMfa({ ...seed(clock), affinityUrl: "https://attacker.example/Connector/EndTwoWayAuthentication?dc=KRS" });
    const h = await startHarness();
    const provider = createEntraMfaPushProvider(
      h.config({ loginUrl: fake.loginUrl, connectorUrl: fake.connectorUrl, passcodeConnectorUrl: fake.passcodeConnectorUrl }),
      { name: "x", clock, log: pino({ level: "silent" }) },
    );
    try {
      const { transactionRef } = await provider.startPush(pushRequest("sam@contoso.example"));
      const ref = decodeRef(transactionRef);
      assert.equal(ref.kind === "session" ? ref.dc : "resolved", undefined);
      await provider.pollPush(transactionRef);
      assert.equal(fake.requests.filter((r) => r.path === END).length, 1);
      assert.deepEqual(fake.requests.find((r) => r.path === END)?.query, {});
    } finally {
      await provider.close();
      await fake.close();
      await h.close();
    }
  });
});
