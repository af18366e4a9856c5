import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { stringify } from "yaml";
import { VerityError } from "../../src/domain/errors.js";
import { verifyAuditChain } from "../../src/services/audit-service.js";
import { countPendingEvents, listAuditEvents, stageAuditEvents } from "../../src/store/audit-dal.js";
import { ROOMY } from "../helpers/engine.js";
import { testPostgres } from "../helpers/postgres.js";
import { acmeTenant, createTestRuntime, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * Issue 13: on PostgreSQL, state-changing transactions no longer queue behind the audit chain's
 * lock. They write their events as pending and a linker links them right after the commit; limits
 * are counted under the caller's lock (and near a desk-wide cap, the cap's). Each test runs two
 * instances on one database, side by side, and checks the chain and the limits still hold exactly.
 */
const postgres = await testPostgres();
const skip = "skip" in postgres ? postgres.skip : false;
const newUrl = () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase());

const CALLERS = Array.from({ length: 40 }, (_, i) => ({
  id: `c-${i}`,
  upn: `caller${i}@acme.test`,
  displayName: `Caller ${i}`,
  phones: { mobile: `+44770090${String(1000 + i)}` },
}));

/** Two instances on one database, with `limits` over the roomy ones and forty callers. */
async function twoInstances(limits: Record<string, unknown> = {}): Promise<[TestRuntime, TestRuntime]> {
  const url = await newUrl();
  const overrides = (dir: string) => {
    writeFileSync(join(dir, "callers.yaml"), stringify({ users: CALLERS }));
    return {
      verification: { limits: { ...ROOMY, ...limits } },
      tenants: [acmeTenant(dir, { directory: { kind: "file", path: join(dir, "callers.yaml") } })],
    };
  };
  const a = await createTestRuntime({ databaseUrl: url, overrides });
  const b = await createTestRuntime({ databaseUrl: url, overrides });
  return [a, b];
}

/** Starts an SMS verification for each caller at once, alternating instances; the codes of what each refused. */
async function startAll(instances: readonly TestRuntime[], upns: readonly string[]): Promise<{ started: string[]; refused: string[] }> {
  const outcomes = await Promise.all(
    upns.map((user, n) => {
      const r = instances[n % instances.length];
      if (r === undefined) throw new Error("no instance");
      return r.runtime.engine.start(r.technician, { user, method: "sms" }).then(
        (v) => ({ id: v.id }),
        (error: unknown) => {
          if (error instanceof VerityError) return { code: error.code };
          throw error;
        },
      );
    }),
  );
  return {
    started: outcomes.flatMap((o) => ("id" in o ? [o.id] : [])),
    refused: outcomes.flatMap((o) => ("code" in o ? [o.code] : [])),
  };
}

describeUnless("the audit chain on PostgreSQL, linked after the commit", skip, () => {
  it("forty verifications started at once on two instances form one gap-free chain, each event once, nothing left pending", async () => {
    const [a, b] = await twoInstances();
    try {
      const { started, refused } = await startAll([a, b], CALLERS.map((c) => c.upn));
      assert.deepEqual(refused, []);
      assert.equal(started.length, 40);
      // And checked at once, on the other instance from the one that started each.
      await Promise.all(
        started.map(async (id, n) => {
          const r = n % 2 === 0 ? b : a;
          const caller = CALLERS[n];
          assert.ok(caller !== undefined);
          const result = await r.runtime.engine.check(r.technician, id, await (n % 2 === 0 ? a : b).codeSentTo(caller.phones.mobile));
          assert.equal(result.outcome, "verified");
        }),
      );
      const db = a.runtime.database.db;
      assert.equal(await countPendingEvents(db), 0);
      const report = await verifyAuditChain(db);
      assert.equal(report.ok, true, JSON.stringify(report.problem));
      const events = await listAuditEvents(db, { limit: 10_000 });
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, i) => i + 1),
      );
      assert.equal(new Set(events.map((e) => e.id)).size, events.length);
      for (const id of started) {
        const mine = events.filter((e) => e.verificationId === id).map((e) => e.action);
        assert.equal(mine.filter((x) => x === "verification.started").length, 1, id);
        assert.equal(mine.filter((x) => x === "check.accepted").length, 1, `${id}: ${mine.join(", ")}`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a caller's send limit holds exactly when ten starts for that caller race on two instances", async () => {
    const [a, b] = await twoInstances({ sends: { max: 3, windowSeconds: 3600 } });
    try {
      const { started, refused } = await startAll([a, b], Array.from({ length: 10 }, () => CALLERS[0]?.upn ?? ""));
      assert.equal(started.length, 3);
      assert.deepEqual(refused, Array.from({ length: 7 }, () => "SEND_LIMIT_REACHED"));
      assert.equal((await verifyAuditChain(a.runtime.database.db)).ok, true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a desk-wide cap holds exactly when twelve callers are sent to at once on two instances", async () => {
    const [a, b] = await twoInstances({ tenant: { max: 5, windowSeconds: 3600 } });
    try {
      const { started, refused } = await startAll([a, b], CALLERS.slice(0, 12).map((c) => c.upn));
      assert.equal(started.length, 5);
      assert.deepEqual(refused, Array.from({ length: 7 }, () => "TENANT_SEND_LIMIT"));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("events committed but left pending (an instance stopped before linking them) are linked by the next sweep, in order", async () => {
    const [a, b] = await twoInstances();
    try {
      await a.runtime.engine.start(a.technician, { user: CALLERS[0]?.upn ?? "", method: "sms" });
      const db = a.runtime.database.db;
      const ids = await db.transaction().execute((trx) =>
        stageAuditEvents(
          trx,
          ["first", "second", "third"].map((reason) => ({
            at: new Date().toISOString(),
            tenantId: "acme",
            actor: "test",
            action: "test.left_pending",
            subjectId: null,
            verificationId: null,
            ticket: null,
            method: null,
            destinationMasked: null,
            destinationHash: null,
            outcome: null,
            reason,
            data: { n: reason.length },
          })),
        ),
      );
      assert.equal(await countPendingEvents(db), 3);
      assert.equal(await b.runtime.audit.linkPending(), 3);
      assert.equal(await countPendingEvents(db), 0);
      assert.equal(await b.runtime.audit.linkPending(), 0);
      const events = await listAuditEvents(db, { limit: 1000 });
      const linked = events.filter((e) => e.action === "test.left_pending");
      assert.deepEqual(
        linked.map((e) => [e.id, e.reason, e.data]),
        ids.map((id, n) => [id, ["first", "second", "third"][n], { n: ["first", "second", "third"][n]?.length }]),
      );
      const report = await verifyAuditChain(db);
      assert.equal(report.ok, true, JSON.stringify(report.problem));
      assert.equal(report.count, events.length);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
