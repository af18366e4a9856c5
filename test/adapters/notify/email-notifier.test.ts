import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { createConsoleChannel, readOutbox } from "../../../src/adapters/channel/console/console-channel.js";
import { smtpConfigSchema } from "../../../src/adapters/channel/smtp/smtp-config.js";
import { createSmtpEmailChannel } from "../../../src/adapters/channel/smtp/smtp-email-channel.js";
import { createEmailNotifier } from "../../../src/adapters/notify/email/email-notifier.js";
import { isVerityError, type VerityError } from "../../../src/domain/errors.js";
import type { MessageChannel } from "../../../src/domain/ports.js";
import type { NotificationMessage } from "../../../src/domain/notifications.js";
import { smtpProviderConfig, startFakeSmtp, type FakeSmtp } from "../../fakes/smtp/fake-smtp.js";
import { createFakeClock } from "../../helpers/clock.js";
import { captureLogs } from "../../helpers/logs.js";

const PASSWORD = "alert-smtp-Pa55word";

const FRAUD: NotificationMessage = {
  type: "verification.fraud_reported",
  timestamp: "2026-11-23T09:00:05.000Z",
  data: {
    verificationId: "0b7c5a8e-1111-4222-8333-444455556666",
    tenant: { id: "acme", name: "Acme Test" },
    outcome: "fraud",
    reason: "fraud",
    method: "sms-link",
    methodLabel: "Confirmation link by SMS",
    ticket: { id: "4242", system: null, confirmed: false },
    sentTo: "+44 ••••• ••0001",
    subject: { displayName: "Jane Doe", directoryId: "u-1" },
    technician: "Terry Tech",
    at: "2026-11-23T09:00:05.000Z",
    evidence: { auditEventId: "9d1e0000-0000-4000-8000-000000000001", seq: 12, hash: "ab".repeat(32), action: "link.not_me" },
    link: "https://verity.example.net/history/0b7c5a8e-1111-4222-8333-444455556666",
  },
};

async function failure(promise: Promise<unknown>): Promise<VerityError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isVerityError(error), String(error));
    return error;
  }
  assert.fail("expected a rejection");
}

const attempt = { messageId: "msg_1", now: new Date("2026-11-23T09:00:06.000Z") };

describe("email alerts (kind: email) over a real SMTP server and the console channel", () => {
  let fake: FakeSmtp;
  let smtp: MessageChannel & { close(): Promise<void> };
  before(async () => {
    fake = await startFakeSmtp({ users: { "verity@acme.test": PASSWORD } });
    const config = smtpConfigSchema.parse(smtpProviderConfig(fake, "verity@acme.test", PASSWORD));
    smtp = createSmtpEmailChannel(config, { name: "mail", log: pino({ level: "silent" }, captureLogs().stream) });
  });
  after(async () => {
    await smtp.close();
    await fake.close();
  });

  const managers = new Map<string, string | null>([["u-1", "morgan.manager@acme.test"], ["u-3", null]]);
  const managerOf = (_tenant: string, subject: string) => Promise.resolve(managers.get(subject) ?? null);

  it("sends a fraud alert to a fixed address: subject naming caller and organisation, masked facts only", async () => {
    const notifier = createEmailNotifier({ kind: "address", address: "security@acme.test" }, "email via mail to s•••@a•••.test", { channel: smtp, managerOf });
    const before = fake.messages.length;
    assert.equal(await notifier.deliver(FRAUD, attempt), "delivered");
    const mail = fake.messages[before];
    assert.deepEqual(mail?.to, ["security@acme.test"]);
    const raw = (mail?.raw ?? "").replace(/=\r\n/g, "");
    assert.match(raw, /^Subject: Verity: fraud reported for Jane Doe at Acme Test\r$/m);
    assert.match(raw, /Fraud alert: Jane Doe reported a verification request as not theirs/);
    assert.match(raw, /Technician: Terry Tech/);
    assert.match(raw, /Ticket: 4242/);
    assert.match(raw, /Verity audit event #12/);
    assert.ok(!/You receive this as/.test(raw), "the team's copy does not speak to a manager");
    assert.doesNotMatch(raw, /7700\s?900\s?001|447700900001/, "no full number");
    assert.equal(notifier.kind, "email");
  });

  it("writes to the caller's manager, looked up when it is sent, and says so in the text", async () => {
    const notifier = createEmailNotifier({ kind: "manager" }, "email via mail to the caller's manager", { channel: smtp, managerOf });
    const before = fake.messages.length;
    assert.equal(await notifier.deliver(FRAUD, attempt), "delivered");
    const mail = fake.messages[before];
    assert.deepEqual(mail?.to, ["morgan.manager@acme.test"]);
    assert.match((mail?.raw ?? "").replace(/=\r\n/g, ""), /You receive this as Jane Doe's manager\./);
  });

  it("refuses, finally, a caller without a usable manager and a test message (no caller); retries when the directory is away", async () => {
    const notifier = createEmailNotifier({ kind: "manager" }, "email via mail to the caller's manager", { channel: smtp, managerOf });
    const before = fake.messages.length;
    const none = await failure(notifier.deliver({ ...FRAUD, data: { ...FRAUD.data, subject: { displayName: "Alex Kim", directoryId: "u-3" } } }, attempt));
    assert.equal(none.code, "NOTIFICATION_REFUSED");
    assert.match(none.message, /no manager with a usable address for Alex Kim/);
    const test = await failure(notifier.deliver({ type: "verity.test", timestamp: attempt.now.toISOString(), data: { message: "hello" } }, attempt));
    assert.equal(test.code, "NOTIFICATION_REFUSED");
    const away = createEmailNotifier({ kind: "manager" }, "m", { channel: smtp, managerOf: () => Promise.reject(new Error("directory down")) });
    assert.equal((await failure(away.deliver(FRAUD, attempt))).code, "NOTIFICATION_FAILED");
    assert.equal(fake.messages.length, before, "nothing was sent");
  });

  it("maps the relay's answers: a temporary failure is retried, a refused recipient is final", async () => {
    const notifier = createEmailNotifier({ kind: "address", address: "security@acme.test" }, "alerts", { channel: smtp, managerOf });
    fake.failNext({ at: "mail", reply: 421 });
    const temporary = await failure(notifier.deliver(FRAUD, attempt));
    assert.equal(temporary.code, "NOTIFICATION_FAILED");
    assert.equal(temporary.retryable, true);
    fake.failNext({ at: "rcpt", reply: 550 });
    const refused = await failure(notifier.deliver(FRAUD, attempt));
    assert.equal(refused.code, "NOTIFICATION_REFUSED");
    assert.equal(refused.retryable, false);
    assert.match(refused.message, /^alerts: /);
  });

  it("writes to the console channel's outbox in development, with the manager's wording for a manager-approval fraud report", async () => {
    const outboxPath = join(mkdtempSync(join(tmpdir(), "verity-alert-")), "dev-outbox.jsonl");
    const console = createConsoleChannel({ name: "console", channels: ["sms", "email"], outboxPath, clock: createFakeClock(), print: () => undefined, mask: (m) => m.to });
    const notifier = createEmailNotifier({ kind: "address", address: "security@acme.test" }, "alerts", { channel: console, managerOf });
    const approval = { ...FRAUD, data: { ...FRAUD.data, method: "manager-approval", methodLabel: "Approval by their manager (email)", sentTo: "m•••@a•••.test" } } as NotificationMessage;
    assert.equal(await notifier.deliver(approval, attempt), "delivered");
    const [entry] = await readOutbox(outboxPath, 1);
    assert.equal(entry?.channel, "email");
    assert.equal(entry?.to, "security@acme.test");
    assert.equal(entry?.subject, "Verity: fraud reported for Jane Doe at Acme Test");
    assert.match(entry?.text ?? "", /Fraud alert: Jane Doe's manager did not approve a request made in Jane Doe's name/);
    assert.match(entry?.text ?? "", /Why: the manager did not approve, or knew nothing of the request/);
    assert.equal(entry?.verificationId, "0b7c5a8e-1111-4222-8333-444455556666");
  });
});
