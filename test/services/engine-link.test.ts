import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { isVerityError } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { acmeWithLinks, linkSentFor } from "../helpers/confirm-link.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;

/** Issue 12: the confirmation link, through the real engine, store and console channel. */
describe("confirmation link with number matching", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: "https://verity.example.net" },
        tenants: [acmeWithLinks(dir)],
        notifications: [{ kind: "webhook", url: "http://127.0.0.1:9/hooks", secret: SECRET }],
      }),
    });
  });
  after(() => t.close());

  const engine = () => t.runtime.engine;
  const start = (method = "sms-link", user: string = TEST_USERS.jane.upn) => engine().start(t.technician, { user, method, ticket: "1042", reason: "password reset" });
  const opened = async (id: string) => {
    const link = await linkSentFor(t.runtime, id);
    const page = await engine().openLink(link.ref);
    return { link, page };
  };
  const refusal = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      if (isVerityError(error)) return error.code;
      throw error;
    }
    return "no error";
  };
  const actions = async (id: string) => (await listAuditEvents(t.runtime.database.db, { verificationId: id, limit: 20 })).map((e) => e.action);
  const wrong = (n: string) => String(((Number(n) - 10 + 1) % 90) + 10);

  it("sends a 10-minute link with the desk's wording and no code, and shows the technician a two-digit number", async () => {
    const v = await start();
    assert.deepEqual([v.state, v.methodKind, v.destination], ["sent", "link", "+44 ••••• ••0001"]);
    assert.match(v.challenge ?? "", /^[1-9]\d$/);
    assert.equal(Date.parse(v.expiresAt) - t.clock.now().getTime(), 600_000);
    const { link, page } = await opened(v.id);
    assert.match(link.url, new RegExp(`^https://verity\\.example\\.net/c/${v.id}\\.[A-Za-z0-9_-]{22}$`));
    assert.equal(Buffer.from(link.token, "base64url").length, 16, "128 bits");
    assert.match(link.text, /Acme Test service desk: Terry is checking your identity \(ticket 1042\)/);
    assert.doesNotMatch(link.text, /password reset/, "the reason a technician typed never reaches the message");
    assert.deepEqual([page.organisation, page.technician, page.ticket, page.reason], ["Acme Test", "Terry Tech", "1042", null]);
    assert.ok(page.choices.length >= 3 && page.choices.includes(v.challenge ?? ""));
    assert.equal(new Set(page.choices).size, page.choices.length);
    await engine().cancel(t.technician, v.id, null);
  });

  it("keeps the token only as a keyed hash: never in the database, the audit log, jobs or logs", async () => {
    const v = await start();
    const { link } = await opened(v.id);
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.ok(row?.codeHash !== null && row?.codeHash !== undefined && row.codeHash !== link.token);
    await engine().answerLink(link.ref, (await engine().openLink(link.ref)).nonce, { answer: "yes", number: v.challenge ?? "" });
    const tables = ["verifications", "audit_events", "jobs", "send_log"];
    for (const table of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.runtime.database.db);
      assert.ok(!JSON.stringify(rows.rows).includes(link.token), `the token is not in ${table}`);
    }
    assert.ok(!t.logs.join("\n").includes(link.token), "the token is not in the logs");
  });

  it("does not consume the link on GET: a preview bot's fetches leave it working", async () => {
    const v = await start();
    const { link } = await opened(v.id);
    await engine().openLink(link.ref);
    await engine().openLink(link.ref);
    const page = await engine().openLink(link.ref);
    assert.equal((await engine().get(t.technician, v.id)).state, "sent");
    assert.equal(await engine().answerLink(link.ref, page.nonce, { answer: "yes", number: v.challenge ?? "" }), "confirmed");
    const final = await engine().get(t.technician, v.id);
    assert.deepEqual([final.state, final.stateReason, final.challenge], ["verified", "link_confirmed", null]);
    assert.deepEqual(await actions(v.id), ["verification.started", "message.sent", "link.confirmed"]);
  });

  it("shows the same numbers on every render, so reloading does not single out the right one", async () => {
    const v = await start();
    const { link, page } = await opened(v.id);
    assert.deepEqual((await engine().openLink(link.ref)).choices, page.choices);
    await engine().cancel(t.technician, v.id, null);
  });

  it("rejects a wrong number, counts it as a failure, and refuses a second answer or a reopen", async () => {
    const v = await start();
    const { link, page } = await opened(v.id);
    assert.equal(await engine().answerLink(link.ref, page.nonce, { answer: "yes", number: wrong(v.challenge ?? "10") }), "wrong_number");
    const final = await engine().get(t.technician, v.id);
    assert.deepEqual([final.state, final.stateReason], ["rejected", "wrong_number"]);
    assert.deepEqual(await actions(v.id), ["verification.started", "message.sent", "link.wrong_number"]);
    assert.equal(await refusal(engine().answerLink(link.ref, page.nonce, { answer: "yes", number: v.challenge ?? "" })), "LINK_NOT_VALID");
    assert.equal(await refusal(engine().openLink(link.ref)), "LINK_NOT_VALID");
    assert.equal((await engine().get(t.technician, v.id)).state, "rejected");
  });

  it("reports 'not me' as fraud and raises verification.fraud_reported", async () => {
    const v = await start();
    const { link, page } = await opened(v.id);
    assert.equal(await engine().answerLink(link.ref, page.nonce, { answer: "no" }), "not_me");
    const final = await engine().get(t.technician, v.id);
    assert.deepEqual([final.state, final.stateReason], ["rejected", "fraud"]);
    assert.ok((await actions(v.id)).includes("link.not_me"));
    const jobs = await t.runtime.database.db.selectFrom("jobs").select("payload").execute();
    const types = jobs.map((j) => JSON.parse(j.payload) as { verificationId: string; message: { type: string; data: { outcome?: string } } }).filter((p) => p.verificationId === v.id);
    assert.deepEqual(types.map((p) => p.message.type).sort(), ["verification.completed", "verification.fraud_reported"]);
    assert.equal(types[0]?.message.data.outcome, "fraud");
    // "Not me" flags Jane for 24 hours (a new verification needs an admin's override): the suite moves past it.
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-link" }), (e: Error & { code?: string }) => e.code === "CALLER_FLAGGED");
    t.clock.advance(24 * 60 * 60_000 + 1000);
  });

  it("lets exactly one of two racing answers through", async () => {
    const v = await start();
    const { link, page } = await opened(v.id);
    const answers = await Promise.allSettled([
      engine().answerLink(link.ref, page.nonce, { answer: "yes", number: v.challenge ?? "" }),
      engine().answerLink(link.ref, page.nonce, { answer: "yes", number: v.challenge ?? "" }),
    ]);
    assert.equal(answers.filter((a) => a.status === "fulfilled").length, 1);
    assert.equal((await actions(v.id)).filter((a) => a === "link.confirmed").length, 1);
  });

  it("expires after 10 minutes even where codes live longer", async () => {
    const v = await start();
    const { link, page } = await opened(v.id);
    t.clock.advance(600_000 + 1000);
    assert.equal(await refusal(engine().answerLink(link.ref, page.nonce, { answer: "yes", number: v.challenge ?? "" })), "LINK_NOT_VALID");
    assert.equal((await engine().get(t.technician, v.id)).state, "expired");
  });

  it("kills the old link on resend and gives a new number; a cancel kills the new one", async () => {
    const v = await start();
    const first = await opened(v.id);
    const resent = await engine().resend(t.technician, v.id);
    assert.equal(resent.sends, 2);
    assert.match(resent.challenge ?? "", /^\d{2}$/);
    const second = await opened(v.id);
    assert.notEqual(second.link.token, first.link.token);
    assert.equal(await refusal(engine().openLink(first.link.ref)), "LINK_NOT_VALID");
    assert.equal(await refusal(engine().answerLink(first.link.ref, first.page.nonce, { answer: "yes", number: resent.challenge ?? "" })), "LINK_NOT_VALID");
    assert.equal(await refusal(engine().answerLink(second.link.ref, first.page.nonce, { answer: "yes", number: resent.challenge ?? "" })), "CSRF_REJECTED", "an old page's nonce does not fit the new link");
    await engine().cancel(t.technician, v.id, null);
    assert.equal(await refusal(engine().openLink(second.link.ref)), "LINK_NOT_VALID");
  });

  it("refuses another verification's token, a tampered ref, an unknown id and a forged nonce alike", async () => {
    const a = await start();
    const b = await start();
    const la = await opened(a.id);
    const lb = await opened(b.id);
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A");
    for (const ref of [`${a.id}.${lb.link.token}`, flip(la.link.ref), `00000000-0000-4000-8000-000000000000.${la.link.token}`, `${a.id}`, "../../etc/passwd", ""]) {
      assert.equal(await refusal(engine().openLink(ref)), "LINK_NOT_VALID", ref);
      assert.equal(await refusal(engine().answerLink(ref, la.page.nonce, { answer: "yes", number: a.challenge ?? "" })), "LINK_NOT_VALID", ref);
    }
    assert.equal(await refusal(engine().answerLink(la.link.ref, lb.page.nonce, { answer: "yes", number: a.challenge ?? "" })), "CSRF_REJECTED");
    assert.equal(await refusal(engine().answerLink(la.link.ref, "1.abc", { answer: "yes", number: a.challenge ?? "" })), "CSRF_REJECTED");
    assert.equal((await engine().get(t.technician, a.id)).state, "sent");
    await engine().cancel(t.technician, a.id, null);
    await engine().cancel(t.technician, b.id, null);
  });

  it("has no code to check", async () => {
    const v = await start();
    assert.equal(await refusal(engine().check(t.technician, v.id, "123456")), "NOT_A_CODE_METHOD");
    await engine().cancel(t.technician, v.id, null);
  });

  it("sends email-link to the alternate email with its own subject", async () => {
    const v = await start("email-link");
    assert.equal(v.destination, "j•••@m•••.test");
    const { link } = await opened(v.id);
    assert.match(link.url, /\/c\//);
    await engine().cancel(t.technician, v.id, null);
  });
});

describe("confirmation link failures count toward the caller's lockout", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({
      overrides: (dir) => ({
        server: { publicUrl: "https://verity.example.net" },
        verification: { limits: { failures: { max: 2, windowSeconds: 86_400 }, sends: { max: 100, windowSeconds: 3600 } } },
        tenants: [acmeWithLinks(dir)],
      }),
    });
  });
  after(() => t.close());

  it("locks the caller after wrong numbers, as after wrong codes", async () => {
    for (let i = 0; i < 2; i += 1) {
      const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms-link" });
      const link = await linkSentFor(t.runtime, v.id);
      const page = await t.runtime.engine.openLink(link.ref);
      const wrong = page.choices.find((c) => c !== v.challenge) ?? "00";
      assert.equal(await t.runtime.engine.answerLink(link.ref, page.nonce, { answer: "yes", number: wrong }), "wrong_number");
    }
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms-link" }), (e) => isVerityError(e) && e.code === "SUBJECT_LOCKED");
  });

  it("does not verify a caller locked out since their link was sent, even with the right number", async () => {
    const v = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-link" });
    const link = await linkSentFor(t.runtime, v.id);
    // Meanwhile two wrong answers on other links lock Jane out.
    for (let i = 0; i < 2; i += 1) {
      const other = await t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-link" });
      const otherLink = await linkSentFor(t.runtime, other.id);
      const otherPage = await t.runtime.engine.openLink(otherLink.ref);
      await t.runtime.engine.answerLink(otherLink.ref, otherPage.nonce, { answer: "yes", number: otherPage.choices.find((c) => c !== other.challenge) ?? "00" });
    }
    const page = await t.runtime.engine.openLink(link.ref);
    await assert.rejects(t.runtime.engine.answerLink(link.ref, page.nonce, { answer: "yes", number: v.challenge ?? "" }), (e) => isVerityError(e) && e.code === "SUBJECT_LOCKED" && /Tell the service desk/.test(e.message));
    assert.notEqual((await t.runtime.engine.get(t.technician, v.id)).state, "verified");
    const refused = (await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 20 })).filter((e) => e.action === "check.refused");
    assert.equal(refused.length, 1, "the refused answer is audited");
  });
});

describe("confirmation links without a public URL", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: (dir) => ({ ...ROOMY_LIMITS, tenants: [acmeWithLinks(dir)] }) });
  });
  after(() => t.close());

  it("refuses to start: the caller's phone could not open the link", async () => {
    await assert.rejects(t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms-link" }), (e) => isVerityError(e) && e.code === "METHOD_NOT_ENABLED");
  });
});
