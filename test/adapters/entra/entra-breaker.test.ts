import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { EntraDirectory } from "../../../src/adapters/directory/entra/entra-directory.js";
import { CONTOSO, failure, startHarness, type Harness } from "./entra-fixtures.js";

/** Every Graph call: an outage of the whole service, not of one endpoint. */
const GRAPH = /^\/graph\//;
const JANE = "jane.doe@contoso.example";
const OPEN = /Microsoft Graph failed repeatedly, so Verity is not calling it for \d+ s/;

/** SECURITY.md R2 for Microsoft Graph: during an outage, lookups fail at once instead of each waiting. */
describe("Entra directory: Microsoft Graph's circuit breaker", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.clearFailures());

  /** Looks Jane up until the circuit refuses; returns how many lookups reached Graph first. */
  const failUntilOpen = async (directory: EntraDirectory): Promise<number> => {
    for (let lookups = 0; lookups <= 5; lookups += 1) {
      const refused = await failure(directory.findUser(JANE));
      assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
      if (OPEN.test(refused.message)) return lookups;
      assert.match(refused.message, /answered HTTP 500/);
    }
    assert.fail("the circuit did not open after 5 failed Graph calls");
  };

  it("after 5 failed Graph calls sends Graph nothing for 30 s, then one probe finds it back", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    h.fake.failNext(GRAPH, { status: 500 }, 1000);
    const lookups = await failUntilOpen(directory);
    assert.ok(lookups >= 1, "the first lookup reached Graph");
    const asked = h.fake.count(GRAPH);
    // A lookup reads in parallel: a call already out when the fifth failure opened the circuit still lands.
    assert.ok(asked >= 5 && asked <= 7, `a 500 is not retried: the circuit opened after 5 failed calls (${asked} sent)`);
    for (let i = 0; i < 3; i += 1) {
      const refused = await failure(directory.findUser(JANE));
      assert.equal(refused.code, "DIRECTORY_UNAVAILABLE");
      assert.match(refused.message, /not calling it for 30 s/);
      assert.equal(refused.retryAfterSeconds, 30);
    }
    assert.equal(h.fake.count(GRAPH), asked, "Graph saw no request while the circuit was open");

    h.fake.clearFailures();
    h.clock.advance(29_000);
    assert.equal((await failure(directory.findUser(JANE))).retryAfterSeconds, 1, "still open 1 s before the probe");
    assert.equal(h.fake.count(GRAPH), asked);
    h.clock.advance(1000);
    assert.equal((await directory.findUser(JANE))?.upn, JANE, "the probe");
    assert.equal((await directory.findUser(JANE))?.upn, JANE, "closed again");
    const circuit = h.logs.filter((line) => line.includes('"circuit"'));
    assert.ok(circuit.some((line) => line.includes('"service":"Microsoft Graph"') && line.includes('"circuit":"open"')), "the opening is logged");
    assert.ok(circuit.some((line) => line.includes('"service":"Microsoft Graph"') && line.includes('"circuit":"closed"')), "the closing is logged");
  });

  it("keeps one breaker per configured directory: another directory's Graph client is not refused", async () => {
    const failing = h.directory({ tenantId: CONTOSO });
    h.fake.failNext(GRAPH, { status: 500 }, 1000);
    await failUntilOpen(failing);
    h.fake.clearFailures();
    assert.match((await failure(failing.findUser(JANE))).message, OPEN);
    const other = h.directory({ tenantId: CONTOSO });
    assert.equal((await other.findUser(JANE))?.upn, JANE);
  });
});
