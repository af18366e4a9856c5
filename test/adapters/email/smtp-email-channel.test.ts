import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { smtpConfigSchema, type SmtpConfig } from "../../../src/adapters/channel/smtp/smtp-config.js";
import { createSmtpEmailChannel } from "../../../src/adapters/channel/smtp/smtp-email-channel.js";
import { isVerityError } from "../../../src/domain/errors.js";
import type { OutboundMessage } from "../../../src/domain/ports.js";
import { smtpProviderConfig, startFakeSmtp, type FakeSmtp } from "../../fakes/smtp/fake-smtp.js";
import { captureLogs } from "../../helpers/logs.js";

const PASSWORD = "s3cret-smtp-Pa55word";
const CODE = "482913";
const TO = "jane.alt@example.net";

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  channel: "email",
  to: TO,
  subject: "Acme service desk: your verification code",
  text: `Hello,\n\nYour code is ${CODE}. It works once, for 10 minutes.\n\nOnly read this code to the service desk if you called them <really>.`,
  verificationId: "ver_1",
  tenantId: "acme",
  ...overrides,
});

function configFor(fake: FakeSmtp, overrides: Record<string, unknown> = {}): SmtpConfig {
  return smtpConfigSchema.parse(smtpProviderConfig(fake, "verity@contoso.com", PASSWORD, { fromName: "Contoso Service Desk", ...overrides }));
}

function channelFor(config: SmtpConfig) {
  const logs = captureLogs();
  const channel = createSmtpEmailChannel(config, { name: "acme-email", log: pino({ level: "debug" }, logs.stream) });
  return { channel, logs };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isVerityError(error), `expected a VerityError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail("expected the send to fail");
}

describe("SMTP email channel against a real SMTP server", () => {
  let fake: FakeSmtp;
  before(async () => {
    fake = await startFakeSmtp({ users: { "verity@contoso.com": PASSWORD } });
  });
  after(() => fake.close());

  it("sends over STARTTLS after AUTH, with the code, subject, from and to, and returns the relay's queue id", async () => {
    const { channel, logs } = channelFor(configFor(fake));
    const before = fake.messages.length;
    const receipt = await channel.send(message());
    const mail = fake.messages[before];
    assert.ok(mail !== undefined);
    assert.equal(receipt.providerRef, mail.queueId);
    assert.equal(mail.secure, true, "the message must travel over TLS");
    assert.equal(mail.user, "verity@contoso.com");
    assert.equal(mail.from, "verity@contoso.com");
    assert.deepEqual(mail.to, [TO]);
    const raw = mail.raw.replace(/=\r\n/g, "");
    assert.match(raw, /^Subject: Acme service desk: your verification code\r$/m);
    assert.match(raw, /^From: Contoso Service Desk <verity@contoso\.com>\r$/m);
    assert.match(raw, /^To: jane\.alt@example\.net\r$/m);
    assert.match(raw, /^Auto-Submitted: auto-generated\r$/m);
    assert.match(raw, /Content-Type: text\/plain/);
    assert.match(raw, /Content-Type: text\/html/);
    assert.ok(raw.includes(CODE));
    assert.ok(raw.includes("&lt;really&gt;"), "the tenant's wording is escaped in the HTML part");
    assert.ok(!logs.lines.join("\n").includes(PASSWORD), "the password is never logged");
    assert.ok(!logs.lines.join("\n").includes(CODE), "the code is never logged");
    assert.ok(!logs.lines.join("\n").includes(TO), "the full address is never logged");
  });

  it("logs in with AUTH LOGIN too when that is all the relay takes", async () => {
    const fakeLogin = await startFakeSmtp({ users: { u: "p-w" } });
    try {
      const { channel } = channelFor(configFor(fakeLogin, { auth: { user: "u", pass: "p-w" } }));
      await channel.send(message());
      assert.equal(fakeLogin.logins.at(-1)?.ok, true);
    } finally {
      await fakeLogin.close();
    }
  });

  it("refuses an address that would add a header or a second recipient, before connecting", async () => {
    const { channel } = channelFor(configFor(fake));
    const connections = fake.connections();
    for (const to of ["jane@example.net\r\nBcc: evil@example.org", "jane@example.net, evil@example.org", "Jane <jane@example.net>", "jane@example.net\n"]) {
      const error = await failure(channel.send(message({ to })));
      assert.equal(error.code, "CHANNEL_REJECTED", to);
    }
    assert.equal(fake.connections(), connections);
    const sms = await failure(channel.send(message({ channel: "sms", to: "+447700900123" })));
    assert.equal(sms.code, "CHANNEL_REJECTED");
  });

  it("keeps a subject with line breaks on one line", async () => {
    const { channel } = channelFor(configFor(fake));
    await channel.send(message({ subject: "Code\r\nBcc: evil@example.org" }));
    const raw = fake.messages.at(-1)?.raw ?? "";
    assert.doesNotMatch(raw, /^Bcc:/im);
    assert.match(raw, /^Subject: Code Bcc: evil@example\.org\r$/m);
  });

  it("maps a 550 at RCPT TO to CHANNEL_REJECTED without quoting the relay's text", async () => {
    const { channel } = channelFor(configFor(fake));
    fake.failNext({ at: "rcpt", reply: 550 });
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "CHANNEL_REJECTED");
    assert.match(error.message, /550/);
    assert.ok(!error.message.includes(TO));
  });

  it("maps a 550 after the body to CHANNEL_REJECTED (the relay refused it outright)", async () => {
    const { channel } = channelFor(configFor(fake));
    fake.failNext({ at: "data", reply: 554 });
    assert.equal((await failure(channel.send(message()))).code, "CHANNEL_REJECTED");
  });

  it("maps a 421 or a 451 to CHANNEL_UNAVAILABLE (temporary, nothing accepted)", async () => {
    const { channel } = channelFor(configFor(fake));
    fake.failNext({ at: "mail", reply: 421 });
    assert.equal((await failure(channel.send(message()))).code, "CHANNEL_UNAVAILABLE");
    fake.failNext({ at: "data", reply: 451 });
    assert.equal((await failure(channel.send(message()))).code, "CHANNEL_UNAVAILABLE");
  });

  it("maps a connection dropped after the body, before any reply, to DELIVERY_UNKNOWN", async () => {
    const { channel } = channelFor(configFor(fake));
    fake.failNext({ at: "drop-after-data" });
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "DELIVERY_UNKNOWN");
    assert.match(error.message, /may still be delivered/);
  });

  it("maps a relay that cannot be reached to CHANNEL_UNAVAILABLE", async () => {
    const { channel } = channelFor(configFor(fake, { port: 1 }));
    assert.equal((await failure(channel.send(message()))).code, "CHANNEL_UNAVAILABLE");
  });

  it("maps refused credentials to UPSTREAM_AUTH_FAILED and never logs the password", async () => {
    const wrong = "not-the-Password-123";
    const { channel, logs } = channelFor(configFor(fake, { auth: { user: "verity@contoso.com", pass: wrong } }));
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "UPSTREAM_AUTH_FAILED");
    assert.ok(!error.message.includes(wrong));
    assert.ok(!logs.lines.join("\n").includes(wrong));
    assert.equal(fake.logins.at(-1)?.ok, false);
  });

  it("refuses a relay whose certificate it does not trust", async () => {
    const { channel } = channelFor(configFor(fake, { tls: { ca: fake.otherCa } }));
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "CHANNEL_UNAVAILABLE");
    assert.match(error.message, /TLS/);
  });

  it("probes with connect, EHLO, STARTTLS and AUTH, sending nothing", async () => {
    const sent = fake.messages.length;
    const ok = await channelFor(configFor(fake)).channel.probe?.();
    assert.equal(ok?.ok, true, ok?.detail);
    assert.match(ok?.detail ?? "", /STARTTLS/);
    assert.equal(fake.messages.length, sent);
    const bad = await channelFor(configFor(fake, { auth: { user: "verity@contoso.com", pass: "wrong-one" } })).channel.probe?.();
    assert.equal(bad?.ok, false);
    assert.ok(!(bad?.detail ?? "").includes("wrong-one"));
  });
});

describe("SMTP email channel against a relay without STARTTLS", () => {
  let plain: FakeSmtp;
  before(async () => {
    plain = await startFakeSmtp({ starttls: false });
  });
  after(() => plain.close());

  it("refuses to send when TLS is required (the default) and the relay offers none", async () => {
    const { channel } = channelFor(configFor(plain, { auth: undefined }));
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "CHANNEL_UNAVAILABLE");
    assert.match(error.message, /TLS/);
    assert.equal(plain.messages.length, 0);
    const probe = await channel.probe?.();
    assert.equal(probe?.ok, false);
  });

  it("sends in the clear only when configured so, and then never with a password", async () => {
    const { channel } = channelFor(configFor(plain, { auth: undefined, requireTLS: false }));
    await channel.send(message());
    assert.equal(plain.messages.at(-1)?.secure, false);
    const refused = smtpConfigSchema.safeParse({ kind: "smtp", host: "relay.example", requireTLS: false, auth: { user: "u", pass: "p" }, from: "a@example.com" });
    assert.equal(refused.success, false);
  });
});

describe("SMTP email channel over implicit TLS", () => {
  it("sends on a port-465 style relay with secure: true", async () => {
    const tlsRelay = await startFakeSmtp({ implicitTls: true, users: { u: "p-w" } });
    try {
      const { channel } = channelFor(configFor(tlsRelay, { secure: true, auth: { user: "u", pass: "p-w" } }));
      await channel.send(message());
      assert.equal(tlsRelay.messages.at(-1)?.secure, true);
    } finally {
      await tlsRelay.close();
    }
  });
});
