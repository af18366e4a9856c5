import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { sql } from "kysely";
import { isVerityError } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { acmeWithApproval, approvalSentFor } from "../helpers/manager-approval.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;

/** Issue 12: manager approval through the real engine, store, file directory and console channel. */
describe("manager approval", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: "https://verity.example.net" },
        tenants: [acmeWithApproval(dir, { policy: { assurance: { privileged: "phishing-resistant" } } })],
        notifications: [{ kind: "webhook", url: "http://127.0.0.1:9/hooks", secret: SECRET }],
      }),
    });
  });
  after(() => t.close());

  const engine = () => t.runtime.engine;
  const start = (user = "jane@acme.test", method = "manager-approval") => engine().start(t.technician, { user, method, ticket: "1042", reason: "new phone, needs MFA reset" });
  const refusal = async (promise: Promise<unknown>): Promise<{ code: string; message: string }> => {
    try {
      await promise;
    } catch (error) {
      if (isVerityError(error)) return { code: error.code, message: error.message };
      throw error;
    }
    return { code: "no error", message: "" };
  };
  const answer = async (ref: string, choice: "approve" | "reject") => engine().answerApproval(ref, (await engine().openLink(ref)).nonce, choice);
  const actions = async (id: string) => (await listAuditEvents(t.runtime.database.db, { verificationId: id, limit: 20 })).map((e) => e.action);

  it("emails the caller's manager (never the caller) a 10-minute link, and the page names the organisation, technician, caller, ticket and reason", async () => {
    const v = await start();
    assert.deepEqual([v.state, v.methodKind, v.challenge], ["sent", "approval", null]);
    assert.equal(Date.parse(v.expiresAt) - t.clock.now().getTime(), 600_000);
    const mail = await approvalSentFor(t.runtime, v.id);
    assert.equal(mail.to, "morgan.manager@acme.test", "the manager's own mailbox");
    assert.equal(v.destination, "m•••@a•••.test", "the manager's address, masked");
    assert.match(mail.subject, /Acme Test service desk: do you approve that Terry acts for Jane Doe\?/);
    assert.match(mail.text, /Terry at the Acme Test service desk is helping someone who says they are Jane Doe \(ticket 1042\)/);
    assert.doesNotMatch(mail.text, /MFA reset/, "the technician's reason never reaches a message");
    assert.match(mail.url, new RegExp(`^https://verity\\.example\\.net/c/${v.id}\\.`));
    const page = await engine().openLink(mail.ref);
    assert.deepEqual([page.kind, page.organisation, page.technician, page.caller, page.ticket, page.reason], ["approval", "Acme Test", "Terry Tech", "Jane Doe", "1042", "new phone, needs MFA reset"]);
    assert.deepEqual(page.choices, []);
    await engine().cancel(t.technician, v.id, null);
  });

  it("verifies on approval, once, recording the approver (name, masked address) as evidence at possession level", async () => {
    const v = await start();
    const { ref } = await approvalSentFor(t.runtime, v.id);
    const nonce = (await engine().openLink(ref)).nonce;
    assert.equal(await engine().answerApproval(ref, nonce, "approve"), "approved");
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.deepEqual([row?.state, row?.stateReason], ["verified", "manager_approved"]);
    assert.deepEqual(row?.evidence, { approver: { name: "Morgan Manager", emailMasked: row?.evidence?.approver?.emailMasked } });
    assert.equal(row?.evidence?.approver?.emailMasked, "m•••@a•••.test");
    assert.ok(!JSON.stringify(row?.evidence).includes("morgan.manager@"), "masked");
    const events = await listAuditEvents(t.runtime.database.db, { verificationId: v.id, limit: 20 });
    const approved = events.find((e) => e.action === "approval.approved");
    assert.equal(approved?.actor, "manager:approval");
    assert.equal((approved?.data as { assurance?: string } | null)?.assurance, "possession");
    // A second answer (the same form again, or a reject) and a second opening find the link used.
    assert.equal((await refusal(engine().answerApproval(ref, nonce, "approve"))).code, "LINK_NOT_VALID");
    assert.equal((await refusal(engine().answerApproval(ref, nonce, "reject"))).code, "LINK_NOT_VALID");
    assert.equal((await refusal(engine().openLink(ref))).code, "LINK_NOT_VALID");
    assert.equal((await engine().get(t.technician, v.id)).state, "verified");
  });

  it("treats 'I do not approve / I don't know about this' as a fraud report: rejected, the caller flagged, a fraud notification queued", async () => {
    const v = await start("sam@acme.test");
    const { ref } = await approvalSentFor(t.runtime, v.id);
    assert.equal(await answer(ref, "reject"), "rejected");
    const row = await findVerification(t.runtime.database.db, v.id);
    assert.deepEqual([row?.state, row?.stateReason], ["rejected", "fraud"]);
    assert.ok((await actions(v.id)).includes("approval.denied"));
    const jobs = await t.runtime.database.db.selectFrom("jobs").select(["kind", "payload"]).execute();
    const fraud = jobs.filter((j) => j.payload.includes(v.id) && j.payload.includes("verification.fraud_reported"));
    assert.equal(fraud.length, 1, "one fraud_reported webhook");
    const again = await refusal(start("sam@acme.test", "sms"));
    assert.equal(again.code, "CALLER_FLAGGED");
    t.clock.advance(24 * 3600_000 + 1000);
  });

  it("refuses to start without a usable manager, saying why: none set, the caller's own address, or the technician themself", async () => {
    const none = await refusal(start("alex@acme.test"));
    assert.equal(none.code, "NO_USABLE_FACTOR");
    assert.match(none.message, /names no manager for Alex Kim/);
    const own = await refusal(start("chris@acme.test"));
    assert.equal(own.code, "NO_USABLE_FACTOR");
    assert.match(own.message, /one of the caller's own/);
    const self = await refusal(start("tess@acme.test"));
    assert.equal(self.code, "NO_USABLE_FACTOR");
    assert.match(self.message, /You are Tess Trainee's manager/);
    const outbox = await t.runtime.database.db.selectFrom("audit_events").select("action").where("action", "=", "verification.refused").execute();
    assert.ok(outbox.length >= 3, "each refusal is audited");
  });

  it("refuses an approval after the link expired, and a form that did not come from the page", async () => {
    const v = await start();
    const { ref } = await approvalSentFor(t.runtime, v.id);
    const nonce = (await engine().openLink(ref)).nonce;
    assert.equal((await refusal(engine().answerApproval(ref, "forged-nonce", "approve"))).code, "CSRF_REJECTED");
    t.clock.advance(600_000 + 1000);
    assert.equal((await refusal(engine().answerApproval(ref, nonce, "approve"))).code, "LINK_NOT_VALID");
    assert.notEqual((await findVerification(t.runtime.database.db, v.id))?.state, "verified");
  });

  it("counts as a second, independent method beside an SMS code for a policy's orTwoMethods, and as possession on its own", async () => {
    const sms = await start("sam@acme.test", "sms");
    const outbox = await readOutbox(join(t.runtime.config.dataDir, "dev-outbox.jsonl"), 500);
    const code = /\b(\d{6})\b/.exec(outbox.find((m) => m.verificationId === sms.id)?.text ?? "")?.[1] ?? "";
    await engine().check(t.technician, sms.id, code);
    const alone = await engine().get(t.technician, sms.id);
    assert.deepEqual([alone.state, alone.assurance.required, alone.assurance.satisfied], ["verified", "phishing-resistant", false]);
    const approval = await start("sam@acme.test");
    await answer((await approvalSentFor(t.runtime, approval.id)).ref, "approve");
    const view = await engine().get(t.technician, approval.id);
    assert.deepEqual([view.state, view.assurance.level, view.assurance.satisfied], ["verified", "possession", true]);
  });

  it("shows on the caller card whether manager approval can be used, and why not", async () => {
    const method = async (user: string) => (await engine().lookup(t.technician, user)).methods.find((m) => m.method === "manager-approval");
    assert.deepEqual(await method("jane@acme.test"), { method: "manager-approval", available: true, destination: "m•••@a•••.test", detail: "manager (Morgan Manager)" });
    const alex = await method("alex@acme.test");
    assert.equal(alex?.available, false);
    assert.match(alex?.detail ?? "", /names no manager for Alex Kim/);
    const tess = await method("tess@acme.test");
    assert.equal(tess?.available, false);
    assert.match(tess?.detail ?? "", /You are Tess Trainee's manager/);
  });

  it("keeps the link's token and the manager's whole address out of the database, the audit log, jobs and logs", async () => {
    const v = await start();
    const { ref, url } = await approvalSentFor(t.runtime, v.id);
    await answer(ref, "approve");
    const token = url.slice(url.lastIndexOf(".") + 1);
    for (const table of ["verifications", "audit_events", "jobs", "send_log"]) {
      const rows = JSON.stringify((await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.runtime.database.db)).rows);
      assert.ok(!rows.includes(token), `the token is not in ${table}`);
      assert.ok(!rows.includes("morgan.manager@acme.test"), `the manager's address is not in ${table}`);
    }
    const logs = t.logs.join("\n");
    assert.ok(!logs.includes(token) && !logs.includes("morgan.manager@acme.test"), "nor in the logs");
  });

  it("does not count an SMS code and a confirmation link to the same number as two independent methods; a manager's approval is", async () => {
    t.clock.advance(2 * 3600_000);
    const sms = await start("sam@acme.test", "sms");
    const outbox = await readOutbox(join(t.runtime.config.dataDir, "dev-outbox.jsonl"), 500);
    await engine().check(t.technician, sms.id, /\b(\d{6})\b/.exec(outbox.find((m) => m.verificationId === sms.id)?.text ?? "")?.[1] ?? "");
    const link = await start("sam@acme.test", "sms-link");
    const { ref } = await linkSentFor(t.runtime, link.id);
    await engine().answerLink(ref, (await engine().openLink(ref)).nonce, { answer: "yes", number: link.challenge ?? "" });
    const samePhone = await engine().get(t.technician, link.id);
    assert.deepEqual([samePhone.state, samePhone.assurance.satisfied], ["verified", false], "one phone is one factor");
    assert.match(samePhone.assurance.stillNeeded ?? "", /second verification by a different method/);
    const approval = await start("sam@acme.test");
    await answer((await approvalSentFor(t.runtime, approval.id)).ref, "approve");
    assert.equal((await engine().get(t.technician, approval.id)).assurance.satisfied, true);
    assert.equal((await engine().get(t.technician, link.id)).assurance.satisfied, true, "a later independent method satisfies the earlier one too");
  });
});
