import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { graphMailConfigSchema, type GraphMailConfig } from "../../../src/adapters/channel/graph-mail/graph-mail-config.js";
import { createGraphMailChannel } from "../../../src/adapters/channel/graph-mail/graph-mail-channel.js";
import { isVerityError } from "../../../src/domain/errors.js";
import type { OutboundMessage } from "../../../src/domain/ports.js";
import { startFakeEntra, type FakeEntra } from "../../fakes/entra/fake-entra.js";
import { testCertificate } from "../../fakes/entra/test-certificate.js";
import { captureLogs } from "../../helpers/logs.js";

const TENANT = "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a";
const APP = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
const NARROW = "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c";
const SECRET = "graph-mail-Secret~value.123";
const MAILBOX = "servicedesk-codes@contoso.example";
const CODE = "731904";
const TO = "jane.alt@example.net";

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  channel: "email",
  to: TO,
  subject: "Contoso service desk: your verification code",
  text: `Hello,\n\nYour code is ${CODE}.`,
  verificationId: "ver_g1",
  tenantId: "contoso",
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; retryAfterSeconds: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isVerityError(error), `expected a VerityError, got ${String(error)}`);
    return { code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds };
  }
  assert.fail("expected the send to fail");
}

describe("Graph sendMail email channel", () => {
  let fake: FakeEntra;
  const certificate = testCertificate("verity-graph-mail");
  before(async () => {
    fake = await startFakeEntra({
      tenants: [
        {
          id: TENANT,
          domains: ["contoso.example"],
          users: [
            { id: "11111111-1111-4111-8111-111111111111", userPrincipalName: MAILBOX, mail: MAILBOX },
            { id: "22222222-2222-4222-8222-222222222222", userPrincipalName: "ceo@contoso.example", mail: "ceo@contoso.example" },
          ],
          mailSendScope: { [APP]: [MAILBOX] },
        },
      ],
      apps: [
        { clientId: APP, secrets: [{ id: "s1", value: SECRET }], certificates: [certificate.certificate], consents: { [TENANT]: ["Mail.Send"] } },
        { clientId: NARROW, secrets: [{ id: "s2", value: SECRET }], consents: { [TENANT]: ["User.Read.All"] } },
      ],
    });
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.clearFailures();
    fake.resetStats();
  });

  const configFor = (overrides: Record<string, unknown> = {}): GraphMailConfig =>
    graphMailConfigSchema.parse({
      kind: "graph-mail",
      tenantId: TENANT,
      clientId: APP,
      credential: { kind: "secret", secret: SECRET },
      mailbox: MAILBOX,
      loginUrl: fake.loginUrl,
      graphUrl: fake.graphUrl,
      timeoutMs: 2000,
      ...overrides,
    });
  const channelFor = (config: GraphMailConfig) => {
    const logs = captureLogs();
    const channel = createGraphMailChannel(config, { name: "contoso-mail", clock: { now: () => new Date() }, log: pino({ level: "debug" }, logs.stream) });
    return { channel, logs };
  };

  it("posts the documented JSON message to /users/{mailbox}/sendMail and takes 202 as accepted", async () => {
    const { channel, logs } = channelFor(configFor());
    const receipt = await channel.send(message());
    const sent = fake.sentMail.at(-1);
    assert.ok(sent !== undefined);
    assert.equal(receipt.providerRef, sent.requestId);
    assert.equal(sent.mailbox, MAILBOX);
    assert.deepEqual(sent.body, {
      message: {
        subject: "Contoso service desk: your verification code",
        body: { contentType: "Text", content: `Hello,\n\nYour code is ${CODE}.` },
        toRecipients: [{ emailAddress: { address: TO } }],
        internetMessageHeaders: [{ name: "X-Auto-Response-Suppress", value: "All" }],
      },
      saveToSentItems: false,
    });
    const all = logs.lines.join("\n");
    assert.ok(!all.includes(SECRET) && !all.includes(CODE) && !all.includes(TO), "no secret, code or full address in logs");
    await channel.close();
  });

  it("sends with a certificate credential too (the Entra directory's token source)", async () => {
    const { channel } = channelFor(configFor({ credential: { kind: "certificate", privateKey: certificate.privateKey, certificate: certificate.certificate } }));
    await channel.send(message());
    assert.equal(fake.count("/graph/v1.0/users/"), 1);
    await channel.close();
  });

  it("waits out a 429 as Retry-After asks, then sends once", async () => {
    const { channel } = channelFor(configFor());
    const before = fake.sentMail.length;
    fake.failNext(/sendMail$/, { status: 429, retryAfter: 1 });
    const started = Date.now();
    await channel.send(message());
    assert.ok(Date.now() - started >= 900, "Retry-After: 1 was honoured");
    assert.equal(fake.sentMail.length, before + 1);
    await channel.close();
  });

  it("maps throttling that does not stop to CHANNEL_UNAVAILABLE with a wait", async () => {
    const { channel } = channelFor(configFor());
    fake.failNext(/sendMail$/, { status: 429, retryAfter: 600 });
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "CHANNEL_UNAVAILABLE");
    assert.equal(error.retryAfterSeconds, 600);
    await channel.close();
  });

  it("maps a 503 to DELIVERY_UNKNOWN and never resends by itself", async () => {
    const { channel } = channelFor(configFor());
    fake.failNext(/sendMail$/, { status: 503 });
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "DELIVERY_UNKNOWN");
    assert.equal(fake.count(/sendMail$/), 1);
    await channel.close();
  });

  it("maps 403 ErrorAccessDenied (no Mail.Send, or a mailbox outside the access policy) to UPSTREAM_AUTH_FAILED naming the fix", async () => {
    const outside = channelFor(configFor({ mailbox: "ceo@contoso.example" })).channel;
    const scoped = await failure(outside.send(message()));
    assert.equal(scoped.code, "UPSTREAM_AUTH_FAILED");
    assert.match(scoped.message, /ErrorAccessDenied/);
    assert.match(scoped.message, /application access policy/);
    const narrow = channelFor(configFor({ clientId: NARROW })).channel;
    assert.equal((await failure(narrow.send(message()))).code, "UPSTREAM_AUTH_FAILED");
    await Promise.all([outside.close(), narrow.close()]);
  });

  it("maps 400 ErrorInvalidRecipients to CHANNEL_REJECTED and an unknown mailbox to a configuration error", async () => {
    const { channel } = channelFor(configFor());
    const rejected = await failure(channel.send(message({ to: "jane@example.invalid" })));
    assert.equal(rejected.code, "CHANNEL_REJECTED");
    assert.match(rejected.message, /ErrorInvalidRecipients/);
    assert.ok(!rejected.message.includes("jane@example.invalid"));
    const missing = channelFor(configFor({ mailbox: "nobody@contoso.example" })).channel;
    const unknown = await failure(missing.send(message()));
    assert.equal(unknown.code, "UPSTREAM_AUTH_FAILED");
    assert.match(unknown.message, /ErrorInvalidUser/);
    await Promise.all([channel.close(), missing.close()]);
  });

  it("maps a wrong secret to UPSTREAM_AUTH_FAILED without the secret in the message", async () => {
    const { channel, logs } = channelFor(configFor({ credential: { kind: "secret", secret: "wrong-Secret-value" } }));
    const error = await failure(channel.send(message()));
    assert.equal(error.code, "UPSTREAM_AUTH_FAILED");
    assert.ok(!error.message.includes("wrong-Secret-value"));
    assert.ok(!logs.lines.join("\n").includes("wrong-Secret-value"));
    await channel.close();
  });

  it("probes with a token and a harmless read of the mailbox, sending nothing", async () => {
    const before = fake.sentMail.length;
    const narrow = channelFor(configFor({ clientId: NARROW })).channel;
    const found = await narrow.probe?.();
    assert.equal(found?.ok, true, found?.detail);
    assert.match(found?.detail ?? "", /knows the mailbox/);
    const sendOnly = channelFor(configFor()).channel;
    const limited = await sendOnly.probe?.();
    assert.equal(limited?.ok, true, limited?.detail);
    assert.match(limited?.detail ?? "", /not checked/);
    const missing = await channelFor(configFor({ clientId: NARROW, mailbox: "nobody@contoso.example" })).channel.probe?.();
    assert.equal(missing?.ok, false);
    assert.equal(fake.sentMail.length, before);
    await Promise.all([narrow.close(), sendOnly.close()]);
  });
});
