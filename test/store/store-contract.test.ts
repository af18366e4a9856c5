import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, it } from "node:test";
import { sql } from "kysely";
import type { Verification } from "../../src/domain/verification.js";
import { createAuditWriter, verifyAuditChain } from "../../src/services/audit-service.js";
import { listAuditEvents, subjectEventTimes } from "../../src/store/audit-dal.js";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { findActiveTokenByHash, insertToken, revokeTokens } from "../../src/store/token-dal.js";
import { findVerification, insertVerification, listDueForExpiry, updateVerificationIf } from "../../src/store/verification-dal.js";
import { createFakeClock } from "../helpers/clock.js";
import { testPostgres } from "../helpers/postgres.js";

const CHILD = fileURLToPath(new URL("../helpers/audit-writer-child.js", import.meta.url));
const postgres = await testPostgres();
const tmp = mkdtempSync(join(tmpdir(), "verity-store-"));
let sqliteCount = 0;

/** Every store behaviour Verity relies on, run against each database it supports. */
const DIALECTS: { name: string; skip: string | false; newUrl: () => Promise<string> }[] = [
  { name: "SQLite", skip: false, newUrl: () => Promise.resolve(`sqlite:${join(tmp, `s${(sqliteCount += 1)}.db`)}`) },
  {
    name: "PostgreSQL",
    skip: "skip" in postgres ? postgres.skip : false,
    newUrl: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()),
  },
];

const sample = (overrides: Partial<Verification> = {}): Verification => ({
  id: crypto.randomUUID(),
  tenantId: "acme",
  subjectId: "u-1",
  subjectName: "Jane Doe",
  method: "sms",
  evidence: null,
  state: "sent",
  stateReason: null,
  technician: "Terry",
  createdBy: "token:a",
  ticket: "1042",
  ticketSystem: null,
  ticketConfirmedAt: null,
  reason: null,
  codeHash: "hash-1",
  codeLength: 6,
  attempts: 0,
  maxAttempts: 5,
  sends: 1,
  destinationMasked: "+44 ••••• ••0001",
  destinationHash: "dest",
  providerRef: null,
  challenge: null,
  prompt: null,
  risk: { decision: "warn", signals: [{ code: "privileged", detail: "admin", action: "warn" }] },
  createdAt: "2026-11-23T09:00:00.000Z",
  updatedAt: "2026-11-23T09:00:00.000Z",
  expiresAt: "2026-11-23T09:10:00.000Z",
  completedAt: null,
  version: 1,
  ...overrides,
});

for (const dialect of DIALECTS) {
  describeUnless(`store contract on ${dialect.name}`, dialect.skip, () => {
    let url: string;
    let handle: DatabaseHandle;
    before(async () => {
      url = await dialect.newUrl();
      handle = openDatabase(url);
      await migrate(handle.db);
    });
    after(() => handle.close());

    it("migrates idempotently", async () => {
      await migrate(handle.db);
      const head = await handle.db.selectFrom("audit_head").selectAll().execute();
      assert.equal(head.length, 1);
    });

    it("round-trips a verification with its JSON and numbers intact", async () => {
      const v = sample();
      await insertVerification(handle.db, v);
      assert.deepEqual(await findVerification(handle.db, v.id), v);
      assert.equal(await findVerification(handle.db, crypto.randomUUID()), undefined);
    });

    it("applies a guarded update only while every guard holds", async () => {
      const v = sample();
      await insertVerification(handle.db, v);
      const now = "2026-11-23T09:01:00.000Z";
      assert.equal(await updateVerificationIf(handle.db, v.id, { states: ["pending"] }, { updated_at: now }), undefined);
      assert.equal(await updateVerificationIf(handle.db, v.id, { states: ["sent"], codeHash: "other" }, { updated_at: now }), undefined);
      assert.equal(await updateVerificationIf(handle.db, v.id, { states: ["sent"], notExpiredAt: v.expiresAt }, { updated_at: now }), undefined);
      assert.equal(await updateVerificationIf(handle.db, v.id, { states: ["sent"], expiredBy: now }, { updated_at: now }), undefined);
      assert.equal(await updateVerificationIf(handle.db, v.id, { states: ["sent"], providerRef: "x" }, { updated_at: now }), undefined);
      const after1 = await updateVerificationIf(
        handle.db,
        v.id,
        { states: ["sent"], codeHash: "hash-1", attemptsBelowMax: true, notExpiredAt: now },
        { updated_at: now, addAttempt: true, addSend: true },
      );
      assert.equal(after1?.attempts, 1);
      assert.equal(after1?.sends, 2);
      assert.equal(after1?.version, 2);
      assert.equal(after1?.updatedAt, now);
    });

    it("stops counting attempts at the maximum", async () => {
      const v = sample({ attempts: 4 });
      await insertVerification(handle.db, v);
      const guard = { states: ["sent" as const], attemptsBelowMax: true };
      assert.equal((await updateVerificationIf(handle.db, v.id, guard, { updated_at: v.updatedAt, addAttempt: true }))?.attempts, 5);
      assert.equal(await updateVerificationIf(handle.db, v.id, guard, { updated_at: v.updatedAt, addAttempt: true }), undefined);
    });

    it("lets exactly one of many concurrent consumers win, across separate connections", async () => {
      const v = sample();
      await insertVerification(handle.db, v);
      const second = openDatabase(url);
      try {
        const consume = (db: DatabaseHandle["db"]) =>
          updateVerificationIf(db, v.id, { states: ["sent"], codeHash: "hash-1", attemptsBelowMax: true }, {
            state: "verified",
            code_hash: null,
            updated_at: v.updatedAt,
            addAttempt: true,
          });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => consume(i % 2 === 0 ? handle.db : second.db)));
        assert.equal(results.filter((r) => r !== undefined).length, 1);
        const final = await findVerification(handle.db, v.id);
        assert.equal(final?.state, "verified");
        assert.equal(final?.attempts, 1);
      } finally {
        await second.close();
      }
    });

    it("lists open verifications past their deadline", async () => {
      const due = sample({ id: crypto.randomUUID(), expiresAt: "2026-11-23T08:00:00.000Z" });
      const done = sample({ id: crypto.randomUUID(), expiresAt: "2026-11-23T08:00:00.000Z", state: "verified" });
      await insertVerification(handle.db, due);
      await insertVerification(handle.db, done);
      const ids = (await listDueForExpiry(handle.db, "2026-11-23T08:30:00.000Z", 100)).map((x) => x.id);
      assert.ok(ids.includes(due.id));
      assert.ok(!ids.includes(done.id));
    });

    it("keeps one unbroken chain when several processes append at once", async () => {
      const clock = createFakeClock();
      const writer = createAuditWriter({ db: handle.db, clock });
      const before = (await verifyAuditChain(handle.db)).count;
      const child = (label: string) =>
        new Promise<number | null>((resolve) => {
          execFile(process.execPath, [CHILD, url, "25", label], (error) => resolve(error === null ? 0 : (error.code as number | null)));
        });
      const [a, b] = await Promise.all([
        child("child-a"),
        child("child-b"),
        (async () => {
          for (let i = 0; i < 25; i += 1) await writer.append([{ actor: "parent", action: "test.event", subjectId: "u-9", tenantId: "acme" }]);
          return 0;
        })(),
      ]);
      assert.deepEqual([a, b], [0, 0]);
      const report = await verifyAuditChain(handle.db);
      assert.equal(report.ok, true, JSON.stringify(report.problem));
      assert.equal(report.count, before + 25 * 2 * 2 + 25);
      const times = await subjectEventTimes(handle.db, { tenantId: "acme", subjectId: "u-9", actions: ["test.event"], since: "2000-01-01T00:00:00.000Z" });
      assert.equal(times.length, 75);
    });

    it("rolls back a failed transaction's state change and its events together", async () => {
      const writer = createAuditWriter({ db: handle.db, clock: createFakeClock() });
      const v = sample();
      const before = (await verifyAuditChain(handle.db)).count;
      await assert.rejects(
        writer.transaction(async (trx, record) => {
          await insertVerification(trx, v);
          record({ actor: "x", action: "verification.started" });
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await findVerification(handle.db, v.id), undefined);
      assert.equal((await verifyAuditChain(handle.db)).count, before);
    });

    it("stores API tokens by hash and forgets revoked ones", async () => {
      const token = { id: crypto.randomUUID(), name: "t", role: "technician" as const, tenants: ["acme"], createdAt: "2026-11-23T09:00:00.000Z", lastUsedAt: null, revokedAt: null };
      await insertToken(handle.db, token, "token-hash");
      assert.deepEqual((await findActiveTokenByHash(handle.db, "token-hash"))?.tenants, ["acme"]);
      assert.equal(await revokeTokens(handle.db, { name: "t" }, "2026-11-23T10:00:00.000Z"), 1);
      assert.equal(await findActiveTokenByHash(handle.db, "token-hash"), undefined);
    });
  });

  describeUnless(`audit tampering is detected on ${dialect.name}`, dialect.skip, () => {
    let handle: DatabaseHandle;
    const seed = async () => {
      handle = openDatabase(await dialect.newUrl());
      await migrate(handle.db);
      const writer = createAuditWriter({ db: handle.db, clock: createFakeClock() });
      for (let i = 1; i <= 6; i += 1) await writer.append([{ actor: "a", action: "test", outcome: `o${i}`, data: { i } }]);
      assert.equal((await verifyAuditChain(handle.db)).ok, true);
    };
    after(() => handle.close());

    it("names a changed row", async () => {
      await seed();
      await sql`update audit_events set outcome = 'verified' where seq = 3`.execute(handle.db);
      const report = await verifyAuditChain(handle.db);
      assert.equal(report.ok, false);
      assert.equal(report.problem?.seq, 3);
      await handle.close();
    });

    it("names a deleted row", async () => {
      await seed();
      await sql`delete from audit_events where seq = 2`.execute(handle.db);
      assert.equal((await verifyAuditChain(handle.db)).problem?.seq, 2);
      await handle.close();
    });

    it("names reordered rows", async () => {
      await seed();
      await sql`update audit_events set seq = -4 where seq = 4`.execute(handle.db);
      await sql`update audit_events set seq = 4 where seq = 5`.execute(handle.db);
      await sql`update audit_events set seq = 5 where seq = -4`.execute(handle.db);
      assert.equal((await verifyAuditChain(handle.db)).problem?.seq, 4);
      await handle.close();
    });

    it("notices events cut from the end", async () => {
      await seed();
      await sql`delete from audit_events where seq = 6`.execute(handle.db);
      const report = await verifyAuditChain(handle.db);
      assert.equal(report.ok, false);
      assert.match(report.problem?.problem ?? "", /removed from the end/);
      await handle.close();
    });

    it("catches a cut end with a rewritten head only against an anchor", async () => {
      await seed();
      const anchor = (await listAuditEvents(handle.db, { afterSeq: 5, limit: 1 }))[0]!;
      const five = (await listAuditEvents(handle.db, { afterSeq: 4, limit: 1 }))[0]!;
      await sql`delete from audit_events where seq = 6`.execute(handle.db);
      await sql`update audit_head set seq = 5, hash = ${five.hash}`.execute(handle.db);
      assert.equal((await verifyAuditChain(handle.db)).ok, true, "without an anchor the cut is invisible");
      const report = await verifyAuditChain(handle.db, { seq: anchor.seq, hash: anchor.hash });
      assert.equal(report.ok, false);
      assert.equal(report.problem?.seq, 6);
    });
  });
}
