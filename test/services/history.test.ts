import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { isVerityError } from "../../src/domain/errors.js";
import type { Verification } from "../../src/domain/verification.js";
import type { Actor } from "../../src/services/actor.js";
import type { HistoryFilter } from "../../src/services/history.js";
import type { VerificationEngine } from "../../src/services/verification-engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { historyRow, PEOPLE, seed } from "../helpers/history.js";
import { testPostgres } from "../helpers/postgres.js";
import { acmeTenant, createTestRuntime, globexTenant, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";

const postgres = await testPostgres();
const tmp = mkdtempSync(join(tmpdir(), "verity-history-"));
const DIALECTS = [
  { name: "SQLite", skip: false as const, newUrl: () => Promise.resolve(`sqlite:${join(tmp, `${crypto.randomUUID()}.db`)}`) },
  { name: "PostgreSQL", skip: "skip" in postgres ? postgres.skip : (false as const), newUrl: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()) },
];

const at = (minutes: number) => new Date(Date.parse("2026-11-01T10:00:00.000Z") + minutes * 60_000).toISOString();

/** One verification of each kind history must tell apart, by label. */
const ROWS: Record<string, Verification> = {
  terry1: historyRow(at(0)),
  terry2: historyRow(at(5), { subjectId: "u-2", subjectName: "Sam Patel", method: "simulated-push", state: "rejected", stateReason: "denied" }),
  bea: historyRow(at(10), { createdBy: "user:bea", technician: "Bea Tech", method: "email", state: "expired", stateReason: "expired" }),
  halo: historyRow(at(15), { createdBy: "halopsa:main", technician: "Agent Smith", subjectId: "u-3", subjectName: "Alex Kim", state: "cancelled" }),
  terryGlobex: historyRow(at(20), { tenantId: "globex", subjectId: "g-1", subjectName: "Hank Scorpio" }),
  vera: historyRow(at(25), { createdBy: "user:vera", technician: "Vera Verifier", subjectId: "u-4", subjectName: "Chris Lee", state: "failed" }),
  token: historyRow(at(30), { createdBy: "token:ci", technician: "CI", subjectId: "u-5", subjectName: "No Body", state: "sent" }),
  // Two at the same instant: the id breaks the tie, so paging neither skips nor repeats one.
  tieA: historyRow(at(35), { createdBy: "user:ada", technician: "Ada Admin" }),
  tieB: historyRow(at(35), { createdBy: "user:ada", technician: "Ada Admin" }),
};
const LABEL = new Map(Object.entries(ROWS).map(([label, row]) => [row.id, label]));
const NEWEST_FIRST = Object.values(ROWS).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
const labels = (rows: readonly { id: string }[]) => rows.map((r) => LABEL.get(r.id) ?? r.id);
const newestFirst = (...names: string[]) => NEWEST_FIRST.map((r) => LABEL.get(r.id) ?? "").filter((l) => names.includes(l));
const ACME = Object.keys(ROWS).filter((l) => l !== "terryGlobex");

for (const dialect of DIALECTS) {
  describeUnless(`history on ${dialect.name}`, dialect.skip, () => {
    let own: TestRuntime;
    let tenantWide: TestRuntime;
    const tenants = (dir: string) => ({ ...ROOMY_LIMITS, tenants: [acmeTenant(dir), globexTenant(dir)] });

    before(async () => {
      const databaseUrl = await dialect.newUrl();
      own = await createTestRuntime({ databaseUrl, overrides: tenants });
      tenantWide = await createTestRuntime({ databaseUrl, overrides: (dir) => ({ ...tenants(dir), web: { technicianHistory: "tenant" } }) });
      await seed(own.runtime.database.db, Object.values(ROWS));
    });
    after(async () => {
      await tenantWide?.close();
      await own?.close();
    });

    const list = async (engine: VerificationEngine, actor: Actor, filter: HistoryFilter = {}) => labels((await engine.list(actor, filter)).items);
    const forbidden = (e: unknown) => isVerityError(e) && e.code === "FORBIDDEN";

    /** What each person sees, and that a detail page opens exactly for those. */
    const sees = async (engine: VerificationEngine, actor: Actor, expected: string[]) => {
      assert.deepEqual(await list(engine, actor), newestFirst(...expected), `${actor.name}'s list`);
      for (const [label, row] of Object.entries(ROWS)) {
        if (expected.includes(label)) assert.equal((await engine.evidence(actor, row.id)).verification.id, row.id);
        else await assert.rejects(engine.evidence(actor, row.id), forbidden, `${actor.name} must not open ${label}`);
      }
    };

    it("shows a technician their own and their integrations' in their tenants, not a colleague's or another tenant's", async () => {
      await sees(own.runtime.engine, PEOPLE.terry, ["terry1", "terry2", "halo"]);
      await sees(own.runtime.engine, PEOPLE.bea, ["bea", "halo"]);
    });

    it("shows a verifier only what they started themselves", async () => {
      await sees(own.runtime.engine, PEOPLE.vera, ["vera"]);
      await sees(tenantWide.runtime.engine, PEOPLE.vera, ["vera"]);
    });

    it("shows auditors and admins everything in their tenants", async () => {
      await sees(own.runtime.engine, PEOPLE.audrey, ACME);
      await sees(own.runtime.engine, PEOPLE.ada, Object.keys(ROWS));
      await sees(own.runtime.engine, { ...PEOPLE.ada, tenants: ["globex"] }, ["terryGlobex"]);
      await sees(own.runtime.engine, { ...PEOPLE.audrey, tenants: [] }, []);
    });

    it("shows technicians all their tenants' verifications when web.technicianHistory is tenant", async () => {
      await sees(tenantWide.runtime.engine, PEOPLE.terry, ACME);
      await sees(tenantWide.runtime.engine, { ...PEOPLE.terry, tenants: null }, Object.keys(ROWS));
    });

    it("filters by tenant, technician, caller, outcome, method and dates, together", async () => {
      const e = own.runtime.engine;
      const ada = PEOPLE.ada;
      assert.deepEqual(await list(e, ada, { tenant: "globex" }), ["terryGlobex"]);
      assert.deepEqual(await list(e, ada, { technician: "user:bea" }), ["bea"]);
      assert.deepEqual(await list(e, ada, { technician: "BEA" }), ["bea"], "part of the name, any case");
      assert.deepEqual(await list(e, ada, { technician: "agent" }), ["halo"]);
      assert.deepEqual(await list(e, ada, { caller: "jane DOE" }), newestFirst("bea", "terry1", "tieA", "tieB"));
      assert.deepEqual(await list(e, ada, { caller: "u-2" }), ["terry2"], "a directory id");
      assert.deepEqual(await list(e, ada, { caller: "e_d" }), [], "wildcards are taken literally");
      assert.deepEqual(await list(e, ada, { caller: "%" }), []);
      assert.deepEqual(await list(e, ada, { outcome: "rejected" }), ["terry2"]);
      assert.deepEqual(await list(e, ada, { outcome: "open" }), ["token"]);
      assert.deepEqual(await list(e, ada, { method: "simulated-push" }), ["terry2"]);
      assert.deepEqual(await list(e, ada, { from: at(5), to: at(20) }), ["halo", "bea", "terry2"], "from included, to excluded");
      assert.deepEqual(await list(e, ada, { from: "2026-11-01T11:05:00+01:00", to: at(10) }), ["terry2"], "offsets are read as instants");
      assert.deepEqual(await list(e, ada, { caller: "jane", outcome: "expired", technician: "bea" }), ["bea"]);
      assert.deepEqual(await list(e, PEOPLE.terry, { tenant: "globex" }), [], "a filter never widens what one may see");
    });

    it("pages newest first by a cursor, never skipping or repeating one", async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 1; ; pages += 1) {
        const page = await own.runtime.engine.list(PEOPLE.ada, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...labels(page.items));
        if (page.next === null) {
          assert.equal(pages, 5);
          break;
        }
        cursor = page.next;
      }
      assert.deepEqual(seen, labels(NEWEST_FIRST));
      const page = await own.runtime.engine.list(PEOPLE.terry, { limit: 2 });
      assert.deepEqual(page.choices.tenants, [{ id: "acme", name: "Acme Test" }], "the form offers one's own tenants");
      assert.ok(page.choices.methods.includes("simulated-push"));
    });

    it("refuses a filter it cannot read", async () => {
      const invalid = (e: unknown) => isVerityError(e) && e.code === "VALIDATION_FAILED";
      for (const filter of [{ cursor: "not-a-cursor" }, { outcome: "won" }, { limit: 0 }, { from: "yesterday" }, { colour: "red" }]) {
        await assert.rejects(own.runtime.engine.list(PEOPLE.ada, filter as HistoryFilter), invalid, JSON.stringify(filter));
      }
      assert.throws(() => own.runtime.engine.streamList(PEOPLE.ada, { outcome: "won" as "verified" }), invalid, "before any row is read");
    });

    it("gives a verification's audit events in chain order with its receipt", async () => {
      const t = own;
      const started = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", ticket: "77" });
      await t.runtime.engine.check(t.technician, started.id, await t.codeSentTo(TEST_USERS.jane.mobile));
      const { verification, events } = await t.runtime.engine.evidence(t.technician, started.id);
      assert.equal(verification.state, "verified");
      assert.ok(events.length >= 2);
      assert.ok(events.every((e, i) => e.verificationId === started.id && (i === 0 || e.seq > (events[i - 1]?.seq ?? 0))));
      assert.equal(events.at(-1)?.seq, verification.receipt?.seq);
      const listed = await t.runtime.engine.list(t.technician, { technician: t.technician.id });
      assert.deepEqual(listed.items.map((v) => v.receipt), [verification.receipt], "the list reads the same receipt");
      assert.deepEqual(listed.items[0], await t.runtime.engine.get(t.technician, started.id));
    });

    it("streams every match page after page", async () => {
      const many = Array.from({ length: 450 }, (_, i) => historyRow(at(100 + (i % 7)), { tenantId: "initech", subjectName: `Caller ${i}` }));
      await seed(own.runtime.database.db, many);
      const streamed: string[] = [];
      for await (const v of own.runtime.engine.streamList(PEOPLE.ada, { tenant: "initech" })) streamed.push(v.id);
      const expected = many.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map((v) => v.id);
      assert.deepEqual(streamed, expected);
      const none: string[] = [];
      for await (const v of own.runtime.engine.streamList(PEOPLE.terry, { tenant: "initech" })) none.push(v.id);
      assert.deepEqual(none, []);
    });
  });
}
