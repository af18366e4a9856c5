import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { smtpProviderConfig, startFakeSmtp, type FakeSmtp } from "../fakes/smtp/fake-smtp.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { acmeWithApproval, approvalSentFor } from "../helpers/manager-approval.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const PASSWORD = "alerts-relay-Pa55word";
const SECURITY = "security@acme.test";
const MANAGER = "morgan.manager@acme.test";

/**
 * Fraud alerts by email end to end: a real Verity runtime, the outbox in its database, and a real
 * SMTP server (smtp-server) as the relay. Acme sends fraud reports to its security team and to
 * the caller's manager (notifyManager).
 */
describe("fraud alerts by email", () => {
  let smtp: FakeSmtp;
  let t: TestRuntime;
  before(async () => {
    smtp = await startFakeSmtp({ users: { "verity@acme.test": PASSWORD } });
    t = await createTestRuntime({
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: "https://verity.example.net" },
        providers: {
          console: { kind: "console" },
          phone: { kind: "simulated" },
          mail: smtpProviderConfig(smtp, "verity@acme.test", PASSWORD),
        },
        tenants: [acmeWithApproval(dir, { notifications: [{ kind: "email", provider: "mail", to: [SECURITY], notifyManager: true }] })],
      }),
    });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const engine = () => t.runtime.engine;
  const mailTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
  const notMe = async (ticket: string) => {
    const v = await engine().start(t.technician, { user: "jane@acme.test", method: "sms-link", ticket });
    const { ref } = await linkSentFor(t.runtime, v.id);
    await engine().answerLink(ref, (await engine().openLink(ref)).nonce, { answer: "no" });
    return v.id;
  };

  it("sends one alert to the security team and one to the caller's manager, once each, even when the relay fails once", async () => {
    smtp.failNext({ at: "mail", reply: 421 });
    const id = await notMe("T-100");
    await t.runtime.queue.drain();
    const afterFirst = smtp.messages.length;
    assert.equal(afterFirst, 1, "one of the two was refused for now (421) and waits for its retry");
    t.clock.advance(10_001);
    await t.runtime.queue.drain();
    t.clock.advance(3600_000);
    assert.equal(await t.runtime.queue.drain(), 0, "nothing is left to send, and nothing is sent twice");
    assert.equal(mailTo(SECURITY).length, 1);
    assert.equal(mailTo(MANAGER).length, 1);
    const raw = (mailTo(SECURITY)[0]?.raw ?? "").replace(/=\r\n/g, "");
    assert.match(raw, /^Subject: Verity: fraud reported for Jane Doe at Acme Test\r$/m);
    assert.match(raw, /Ticket: T-100/);
    // The masked destination, its bullets quoted-printable (=E2=80=A2 is •).
    assert.match(raw, /Sent to: \+44 (=E2=80=A2){5} (=E2=80=A2){2}0001/);
    assert.doesNotMatch(raw, /7700\s?900\s?001|447700900001/, "never the full number");
    assert.doesNotMatch(raw, /\/c\/[0-9a-f-]{36}\./, "never the caller's link");
    assert.match((mailTo(MANAGER)[0]?.raw ?? "").replace(/=\r\n/g, ""), /You receive this as Jane Doe's manager/);
    const failed = (await listAuditEvents(t.runtime.database.db, { limit: 1000 })).filter((e) => e.action === "notification.failed" && e.verificationId === id);
    assert.deepEqual(failed, []);
    t.clock.advance(24 * 3600_000 + 1000);
  });

  it("sends nothing for a verification that simply ends (fraud reports only by default)", async () => {
    const before = smtp.messages.length;
    const v = await engine().start(t.technician, { user: "jane@acme.test", method: "sms-link", ticket: "T-200" });
    await engine().cancel(t.technician, v.id, null);
    await t.runtime.queue.drain();
    assert.equal(smtp.messages.length, before);
  });

  it("raises an alert when a manager does not approve", async () => {
    const before = smtp.messages.length;
    const v = await engine().start(t.technician, { user: "sam@acme.test", method: "manager-approval", ticket: "T-300" });
    const { ref } = await approvalSentFor(t.runtime, v.id);
    await engine().answerApproval(ref, (await engine().openLink(ref)).nonce, "reject");
    await t.runtime.queue.drain();
    const alerts = smtp.messages.slice(before);
    assert.deepEqual(alerts.map((m) => m.to[0]).sort(), [MANAGER, SECURITY].sort());
    assert.match((alerts[0]?.raw ?? "").replace(/=\r\n/g, ""), /Sam Patel's manager did not approve/);
  });
});
