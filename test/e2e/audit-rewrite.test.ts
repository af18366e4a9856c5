// SECURITY.md attack 23 and items 40-41: someone who can write the database rewrites the audit
// chain consistently (every hash recomputed, the head updated). The chain alone cannot show it;
// `verity audit verify` must, by itself, against the anchors the server exported.
import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import type { Kysely } from "kysely";
import { stringify } from "yaml";
import { chainHash, GENESIS_HASH, type ChainedAuditEvent } from "../../src/domain/audit-chain.js";
import { buildApp } from "../../src/http/build-app.js";
import { chainReport } from "../../src/http/api-schemas.js";
import { verifyAuditChain } from "../../src/services/audit-service.js";
import { readAuditHead, streamAuditEvents } from "../../src/store/audit-dal.js";
import type { Database } from "../../src/store/schema.js";
import { runCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { testPostgres } from "../helpers/postgres.js";
import { createTestRuntime, ROOMY_LIMITS, testConfig, type TestRuntime } from "../helpers/runtime.js";

const postgres = await testPostgres();
const HASH_KEY = "k".repeat(16) + "test-hash-key-0123456789";
const DIALECTS = [
  { name: "SQLite", skip: false as const, url: () => Promise.resolve(undefined) },
  {
    name: "PostgreSQL",
    skip: "skip" in postgres ? postgres.skip : (false as const),
    url: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()),
  },
];

/** A runtime that has run a few verifications and exported its first anchor, plus a CLI on it. */
async function anchoredRuntime(databaseUrl: string | undefined) {
  const t = await createTestRuntime({ ...(databaseUrl === undefined ? {} : { databaseUrl }), overrides: ROOMY_LIMITS });
  const configPath = join(t.dir, "verity.yaml");
  const database = databaseUrl === undefined ? {} : { database: { url: databaseUrl }, security: { hashKey: HASH_KEY } };
  writeFileSync(configPath, stringify(testConfig(t.dir, { ...ROOMY_LIMITS, ...database })));
  for (const user of [TEST_USERS.jane, TEST_USERS.chris]) {
    const v = await t.runtime.engine.start(t.technician, { user: user.upn, method: "sms", ticket: "1042" });
    await t.runtime.engine.check(t.technician, v.id, await t.codeSentTo(user.mobile));
  }
  const open = await t.runtime.engine.start(t.technician, { user: TEST_USERS.sam.upn, method: "sms", ticket: "1043" });
  await t.runtime.engine.cancel(t.technician, open.id, "caller hung up");
  const anchorFile = join(t.runtime.config.dataDir, "audit-anchors.jsonl");
  await t.runtime.startBackground();
  const head = await readAuditHead(t.runtime.database.db);
  await waitFor(() => {
    try {
      return readFileSync(anchorFile, "utf8").includes(head.hash);
    } catch {
      return false;
    }
  });
  const cli = (args: string[]) => runCli(args, { cwd: t.dir, env: { VERITY_CONFIG: configPath } });
  return { t, head, anchorFile, cli, db: t.runtime.database.db };
}

/** What an attacker with write access does: change events, then recompute every hash and the head. */
async function rewriteChain(db: Kysely<Database>, change: (e: ChainedAuditEvent) => ChainedAuditEvent): Promise<void> {
  const events: ChainedAuditEvent[] = [];
  for await (const event of streamAuditEvents(db)) events.push(event);
  let prev = GENESIS_HASH;
  for (const original of events) {
    const event = change(original);
    const hash = chainHash(prev, event);
    await db
      .updateTable("audit_events")
      .set({ actor: event.actor, outcome: event.outcome, reason: event.reason, prev_hash: prev, hash })
      .where("seq", "=", event.seq)
      .execute();
    prev = hash;
  }
  await db.updateTable("audit_head").set({ hash: prev }).where("id", "=", 1).execute();
}

for (const dialect of DIALECTS) {
  describeUnless(`audit chain rewritten by someone with database access, on ${dialect.name}`, dialect.skip, () => {
    const runtimes: TestRuntime[] = [];
    after(() => Promise.all(runtimes.map((t) => t.close())));

    it("goes unnoticed by the chain alone, but audit verify finds it against the exported anchor", async () => {
      const { t, head, anchorFile, cli, db } = await anchoredRuntime(await dialect.url());
      runtimes.push(t);
      const before = await cli(["audit", "verify"]);
      assert.equal(before.code, 0, before.stdout + before.stderr);
      assert.match(before.stdout, new RegExp(`Anchor: event ${head.seq} written \\S+ in ${anchorFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: matches\\.`));

      // Hide who accepted the first code: an edit that keeps every link consistent.
      await rewriteChain(db, (e) => (e.action === "check.accepted" && e.actor !== "token:nobody" ? { ...e, actor: "token:nobody" } : e));
      const alone = await verifyAuditChain(db);
      assert.equal(alone.ok, true, "the chain by itself cannot show a consistent rewrite");
      assert.notEqual(alone.head.hash, head.hash);

      const after = await cli(["audit", "verify"]);
      assert.equal(after.code, 1, after.stdout + after.stderr);
      assert.match(after.stdout, new RegExp(`Audit chain BROKEN at event ${head.seq}`));
      assert.match(after.stdout, new RegExp(`Anchor: event ${head.seq} written \\S+ in \\S+audit-anchors\\.jsonl: does NOT match`));

      const app = await buildApp(t.runtime);
      try {
        const admin = { id: "cli:test", name: "test", role: "admin" as const, tenants: null };
        const token = (await t.runtime.tokens.create({ name: "auditor", role: "auditor", tenants: null }, admin)).token;
        const response = await app.inject({ method: "GET", url: "/api/v1/audit/verify", headers: { authorization: `Bearer ${token}` } });
        const report = chainReport.parse(response.json());
        assert.equal(report.ok, false);
        assert.deepEqual(report.anchor && [report.anchor.seq, report.anchor.hash, report.anchor.verdict, report.anchor.source], [head.seq, head.hash, "differs", anchorFile]);
      } finally {
        await app.close();
      }

      // The running server notices too, and will not anchor the rewritten chain.
      await t.runtime.audit.append([{ actor: "test", action: "test.after_rewrite" }]);
      assert.deepEqual(await t.runtime.anchors.exportNow(), { written: 0, failed: 1 });
      assert.ok(t.logs.some((l) => l.includes("AUDIT_CHAIN_BROKEN") && l.includes("since it was anchored")));

      // An anchor line written without Verity's key does not rescue the rewrite: it is reported.
      const forged = { v: 1, seq: head.seq + 1, hash: (await readAuditHead(db)).hash, at: new Date().toISOString(), mac: "A".repeat(43) };
      appendFileSync(anchorFile, `${JSON.stringify(forged)}\n`);
      const withForged = await cli(["audit", "verify"]);
      assert.equal(withForged.code, 1);
      assert.match(withForged.stdout, /Audit chain BROKEN/);
      assert.match(withForged.stdout, /Anchor FORGED in \S+audit-anchors\.jsonl line 2: its MAC does not verify/);
    });

    it("finds a log cut short with its head rewritten", async () => {
      const { t, head, cli, db } = await anchoredRuntime(await dialect.url());
      runtimes.push(t);
      const keep = head.seq - 2;
      const last = (await db.selectFrom("audit_events").select("hash").where("seq", "=", keep).executeTakeFirstOrThrow()).hash;
      await db.deleteFrom("audit_events").where("seq", ">", keep).execute();
      await db.updateTable("audit_head").set({ seq: keep, hash: last }).where("id", "=", 1).execute();
      assert.equal((await verifyAuditChain(db)).ok, true, "the chain by itself cannot show a cut end with a rewritten head");
      const result = await cli(["audit", "verify"]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`Anchor: event ${head.seq} written \\S+ in \\S+: is NOT in the log`));
    });

    it("reports an edited anchor line as tampering even when the chain is intact", async () => {
      const { t, head, anchorFile, cli } = await anchoredRuntime(await dialect.url());
      runtimes.push(t);
      const text = readFileSync(anchorFile, "utf8");
      writeFileSync(anchorFile, text.replace(head.hash, head.hash.replace(/^./, (c) => (c === "0" ? "1" : "0"))));
      const result = await cli(["audit", "verify"]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /Audit chain verifies on its own/);
      assert.match(result.stdout, /Anchor FORGED in \S+ line 1: its MAC does not verify/);
      assert.match(result.stdout, /Anchor: no valid anchor in /, "the forged line is not used as an anchor");
    });
  });
}
