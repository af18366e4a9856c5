import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { ALL_PERMISSIONS, APP_ID, CONTOSO, findSettled, startHarness, type Harness } from "./entra-fixtures.js";

const ORGANIZATION = "/graph/v1.0/organization";
const HOUR = 3_600_000;

describe("Entra directory: the caller's organisation", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    h.fake.resetStats();
    h.fake.clearFailures();
    h.fake.setLatency(0);
  });

  const warnings = () => h.logs.map((line) => JSON.parse(line) as { level: number; msg: string; reason?: string }).filter((l) => l.level === 40 && /organisation/.test(l.msg));

  it("names the organisation of each caller's own Entra tenant", async () => {
    const directory = h.directory();
    assert.equal((await findSettled(directory, "jane.doe@contoso.example"))?.organisation, "Contoso");
    assert.equal((await findSettled(directory, "fabi@fabrikam.example"))?.organisation, "Fabrikam");
    assert.deepEqual(
      h.fake.requests.filter((r) => r.path === ORGANIZATION).map((r) => r.query),
      [{ $select: "displayName" }, { $select: "displayName" }],
    );
  });

  it("reads the organisation beside the user query, not after it", async () => {
    h.fake.setLatency(200);
    await findSettled(h.directory({ tenantId: CONTOSO }), "jane.doe@contoso.example");
    const userQuery = h.fake.requests.find((r) => r.path === "/graph/v1.0/users");
    const organization = h.fake.requests.find((r) => r.path === ORGANIZATION);
    assert.ok(userQuery !== undefined && organization !== undefined);
    assert.ok(Math.abs(organization.time.getTime() - userQuery.time.getTime()) < 200, "sent before the user query was answered");
  });

  it("keeps the name for 12 hours per Entra tenant, with one read for concurrent lookups", async () => {
    h.fake.setLatency(20);
    const directory = h.directory();
    const users = await Promise.all(["jane.doe@contoso.example", "sam.admin@contoso.example", "jdoe@contoso.example"].map((q) => directory.findUser(q)));
    assert.deepEqual(users.map((u) => u?.organisation ?? "none"), ["Contoso", "Contoso", "none"]);
    assert.equal(h.fake.count(ORGANIZATION), 1);
    h.clock.advance(11 * HOUR);
    assert.equal((await findSettled(directory, "jane.doe@contoso.example"))?.organisation, "Contoso");
    assert.equal(h.fake.count(ORGANIZATION), 1);
    h.clock.advance(HOUR + 1000);
    assert.equal((await findSettled(directory, "jane.doe@contoso.example"))?.organisation, "Contoso");
    assert.equal(h.fake.count(ORGANIZATION), 2);
  });

  it("leaves the name unknown when the tenant refuses /organization, warns once, and picks up a later consent", async () => {
    h.fake.setConsent(APP_ID, CONTOSO, ALL_PERMISSIONS.filter((p) => p !== "Organization.Read.All"));
    try {
      const directory = h.directory({ tenantId: CONTOSO });
      const before = warnings().length;
      const user = await findSettled(directory, "jane.doe@contoso.example");
      assert.equal(user?.displayName, "Jane Doe", "the lookup itself succeeds");
      assert.equal(user?.organisation, null);
      assert.equal(h.fake.requests.find((r) => r.path === ORGANIZATION)?.status, 403);
      assert.equal((await findSettled(directory, "sam.admin@contoso.example"))?.organisation, null);
      assert.equal(h.fake.count(ORGANIZATION), 1, "a refusal is remembered for a while");
      const [warning, ...more] = warnings().slice(before);
      assert.match(warning?.reason ?? "", /application permission Organization\.Read\.All/);
      assert.deepEqual(more, []);

      h.clock.advance(HOUR + 1000);
      await findSettled(directory, "jane.doe@contoso.example");
      assert.equal(h.fake.count(ORGANIZATION), 2);
      assert.equal(warnings().length, before + 1, "warned once");

      h.fake.setConsent(APP_ID, CONTOSO, ALL_PERMISSIONS);
      h.clock.advance(HOUR + 1000); // past the refusal and the old token's life
      assert.equal((await findSettled(directory, "jane.doe@contoso.example"))?.organisation, "Contoso");
    } finally {
      h.fake.setConsent(APP_ID, CONTOSO, ALL_PERMISSIONS);
    }
  });

  it("does not fail a lookup, or remember anything, when /organization is unavailable", async () => {
    h.fake.failNext(ORGANIZATION, { status: 503 }, 4);
    const directory = h.directory({ tenantId: CONTOSO });
    const user = await findSettled(directory, "jane.doe@contoso.example");
    assert.equal(user?.displayName, "Jane Doe");
    assert.equal(user?.organisation, null);
    assert.equal((await findSettled(directory, "jane.doe@contoso.example"))?.organisation, "Contoso");
  });
});
