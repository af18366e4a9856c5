import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { DirectoryUser } from "../../../src/domain/ports.js";
import { CONTOSO, findSettled, SEEDED_NUMBERS, startHarness, USERS, type Harness } from "./entra-fixtures.js";

const AUDITS = "/graph/v1.0/auditLogs/directoryAudits";

describe("Entra directory: risk signals", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  const lookup = async (query: string, overrides: Record<string, unknown> = {}) => {
    const directory = h.directory({ tenantId: CONTOSO, ...overrides });
    const user = await findSettled(directory, query);
    assert.ok(user !== null, query);
    return { directory, user };
  };

  it("flags a security-info change inside the window, saying which and when but never the number", async () => {
    const { directory, user } = await lookup("jane.doe@contoso.example");
    const signals = await directory.riskSignals(user);
    assert.deepEqual(
      signals.map((s) => s.code),
      ["recent_security_info_change"],
    );
    assert.match(signals[0]?.detail ?? "", /"Admin updated security info" 2 days ago/);
    for (const digits of SEEDED_NUMBERS) assert.ok(!JSON.stringify(signals).replace(/\D/g, "").includes(digits));
  });

  it("asks Graph for events since the window start that target the user", async () => {
    const { directory, user } = await lookup("jane.doe@contoso.example", { recentChangeDays: 3 });
    await directory.riskSignals(user);
    const filter = h.fake.requests.find((r) => r.path === AUDITS)?.query.$filter;
    assert.equal(filter, `activityDateTime ge 2026-11-20T09:00:00Z and targetResources/any(t: t/id eq '${USERS.jane}')`);
  });

  it("ignores changes older than the window, reviews, failures and other activities", async () => {
    for (const query of ["sam.admin@contoso.example", "o'brien@contoso.example"]) {
      const { directory, user } = await lookup(query);
      assert.ok(!(await directory.riskSignals(user)).some((s) => s.code === "recent_security_info_change"), query);
    }
    const { directory, user } = await lookup("sam.admin@contoso.example", { recentChangeDays: 31 });
    const signal = (await directory.riskSignals(user)).find((s) => s.code === "recent_security_info_change");
    assert.match(signal?.detail ?? "", /"User registered security info" 30 days ago/);
  });

  it("moves the window with the clock", async () => {
    const { directory, user } = await lookup("jane.doe@contoso.example", { recentChangeDays: 3 });
    assert.ok((await directory.riskSignals(user)).some((s) => s.code === "recent_security_info_change"));
    h.clock.advance(2 * 86_400_000);
    const later = h.directory({ tenantId: CONTOSO, recentChangeDays: 3 });
    assert.deepEqual(await later.riskSignals(user), []);
    h.clock.set(new Date("2026-11-23T09:00:00.000Z"));
  });

  it("names the privileged roles a user holds", async () => {
    const { directory, user } = await lookup("sam.admin@contoso.example");
    const signals = await directory.riskSignals(user);
    assert.deepEqual(signals, [{ code: "privileged", detail: "Holds privileged Entra role(s): Global Administrator." }]);
  });

  it("flags a disabled account, and its privileged role", async () => {
    const { directory, user } = await lookup("dana@contoso.example");
    assert.deepEqual(
      (await directory.riskSignals(user)).map((s) => s.code),
      ["account_disabled", "privileged"],
    );
  });

  it("awaits the reads findUser started instead of asking again", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    const user = await directory.findUser("jane.doe@contoso.example");
    assert.ok(user !== null);
    await Promise.all([directory.riskSignals(user), directory.riskSignals(user), directory.authenticatorMethods(user)]);
    assert.equal(h.fake.count(AUDITS), 1);
    assert.equal(h.fake.count(`/graph/v1.0/users/${USERS.jane}`), 5, "phone, email, Authenticator, roles and the manager: once each");
    assert.equal(h.fake.count("/graph/"), 8, "with the user query, the organisation read and the audit read");
  });

  it("reads afresh for a user it has not looked up recently", async () => {
    const { user } = await lookup("dana@contoso.example");
    const other = h.directory({ tenantId: CONTOSO });
    h.fake.resetStats();
    assert.deepEqual(
      (await other.riskSignals(user)).map((s) => s.code),
      ["account_disabled", "privileged"],
    );
    assert.equal(h.fake.count(`/graph/v1.0/users/${USERS.dana}`), 5);
    assert.equal(h.fake.count(AUDITS), 1);
  });

  it("skips the audit read when recentChangeDays is 0", async () => {
    const { directory, user } = await lookup("jane.doe@contoso.example", { recentChangeDays: 0 });
    assert.deepEqual(await directory.riskSignals(user), []);
    assert.equal(h.fake.count(AUDITS), 0);
  });

  it("has no signals for a user from another directory", async () => {
    const stranger: DirectoryUser = { id: "u-1", upn: "x@y.example", displayName: "X", phones: [], emails: [], groups: [], privileged: false, providerIds: {}, unusable: [] };
    assert.deepEqual(await h.directory().riskSignals(stranger), []);
    assert.equal(h.fake.requests.length, 0);
  });
});
