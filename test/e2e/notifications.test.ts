import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { createConnectionTests } from "../../src/services/connection-tests.js";
import { probeDestination, type NotificationDestination } from "../../src/services/notifications.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { startFakeSlackWebhook, type FakeSlackWebhook } from "../fakes/notify/fake-slack-webhook.js";
import { startFakeTeamsWorkflow, type FakeTeamsWorkflow } from "../fakes/notify/fake-teams-workflow.js";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../fakes/notify/fake-webhook-receiver.js";
import { startFakeTwilio, twilioProviderConfig, type FakeTwilio } from "../fakes/twilio/fake-twilio.js";
import { specVerify } from "../fakes/notify/standard-webhooks-verify.js";
import { stringify } from "yaml";
import { BIN, runCli } from "../helpers/cli.js";
import { createFakeClock } from "../helpers/clock.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_DIRECTORY_YAML, TEST_USERS } from "../helpers/fixtures.js";
import { freePort } from "../helpers/net.js";
import { acmeTenant, createTestRuntime, globexTenant, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";

/**
 * Issue 11's outbound events end to end: a real Verity server with console SMS and the simulated
 * push, a Standard Webhooks receiver (top-level list, every tenant), a Teams workflow and a Slack
 * webhook (Acme's own list; Slack only for fraud, denials and failures).
 */
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const PUBLIC_URL = "https://verity.example.net";
/** Hank (Globex) replied STOP to texts: Twilio refuses to text him (21610), so his verification fails. */
const GLOBEX_MOBILE = "+447700900101";

interface Envelope {
  type: string;
  timestamp: string;
  data: {
    verificationId: string;
    tenant: { id: string; name: string };
    outcome: string;
    method: string;
    ticket: { id: string; system: string | null; confirmed: boolean } | null;
    sentTo: string | null;
    reason: string | null;
    subject: { displayName: string; directoryId: string };
    technician: string;
    evidence: { auditEventId: string; seq: number; hash: string; action: string };
    link: string | null;
  };
}

describe("outbound events (webhook, Teams, Slack)", () => {
  const clock = createFakeClock(new Date());
  let receiver: FakeWebhookReceiver;
  let teams: FakeTeamsWorkflow;
  let slack: FakeSlackWebhook;
  let twilio: FakeTwilio;
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let token: string;
  const codes: string[] = [];

  const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const receiptOf = async (id: string) => (await api("GET", `/api/v1/verifications/${id}`)).receipt as { eventId: string; hash: string; seq: number; action: string };

  const smsVerified = async (ticket: string) => {
    const v = await api("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "sms", ticket });
    const code = (await readOutbox(`${t.runtime.config.dataDir}/dev-outbox.jsonl`, 1))[0]?.text.match(/\b(\d{6})\b/)?.[1] ?? "";
    codes.push(code);
    await api("POST", `/api/v1/verifications/${String(v.id)}/check`, { code });
    return String(v.id);
  };
  const pushAnswered = async (decision: "approve" | "deny" | "fraud") => {
    const v = await api("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "simulated-push", ticket: `PUSH-${decision}` });
    const phone = t.runtime.dev.simulated.get("phone")!;
    const prompt = await waitFor(async () => (await phone.pendingPrompts())[0]);
    await phone.answer(prompt.id, { decision, number: prompt.challenge });
    await waitFor(async () => (await api("GET", `/api/v1/verifications/${String(v.id)}`)).final === true);
    // A fraud report flags Jane for 24 hours (a new verification needs an admin's override); the
    // suite verifies her again, so its clock moves past the flag.
    if (decision === "fraud") clock.advance(24 * 60 * 60_000 + 1000);
    return String(v.id);
  };
  const webhookMessages = () => receiver.messages.map((m) => ({ id: m.id, ...(JSON.parse(m.body) as Envelope) }));
  const auditOf = async (action: string) => (await listAuditEvents(t.runtime.database.db, { limit: 10_000 })).filter((e) => e.action === action);

  before(async () => {
    twilio = await startFakeTwilio({ optedOut: [GLOBEX_MOBILE] });
    [receiver, teams, slack] = await Promise.all([
      startFakeWebhookReceiver({ secret: SECRET, nowSeconds: () => clock.now().getTime() / 1000 }),
      startFakeTeamsWorkflow(),
      startFakeSlackWebhook(),
    ]);
    t = await createTestRuntime({
      clock,
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        log: { level: "debug" },
        server: { publicUrl: PUBLIC_URL },
        notifications: [{ kind: "webhook", url: receiver.url, secret: SECRET }],
        providers: { console: { kind: "console" }, phone: { kind: "simulated" }, twilio: twilioProviderConfig(twilio) },
        tenants: [
          globexTenant(dir, { methods: { sms: "twilio" } }),
          acmeTenant(dir, {
            notifications: [
              { kind: "teams", url: teams.url },
              { kind: "slack", name: "fraud desk", url: slack.url, outcomes: ["fraud", "denied", "failed"] },
            ],
          }),
        ],
      }),
    });
    ({ app, base } = await listen(t.runtime));
    ({ token } = await t.runtime.tokens.create({ name: "Terry Tech", role: "technician", tenants: null }, t.admin));
  });

  after(async () => {
    await app.close();
    await t.close();
    await Promise.all([receiver.close(), teams.close(), slack.close(), twilio.close()]);
  });

  it("sends one signed webhook per ending with its outcome and evidence, a Teams card, and Slack only what it asked for", async () => {
    const sms = await smsVerified("T-100");
    const approved = await pushAnswered("approve");
    const fraud = await pushAnswered("fraud");
    const denied = await pushAnswered("deny");
    await t.runtime.queue.drain();
    assert.equal(await t.runtime.queue.drain(), 0, "nothing left to send");

    assert.deepEqual(receiver.refused, [], "every signature verified by the spec's algorithm");
    const messages = webhookMessages();
    assert.equal(messages.length, 5, "four endings and one fraud report");
    assert.equal(new Set(messages.map((m) => m.id)).size, 5);
    const expected: [string, string, string][] = [
      [sms, "verification.completed", "verified"],
      [approved, "verification.completed", "verified"],
      [fraud, "verification.completed", "fraud"],
      [fraud, "verification.fraud_reported", "fraud"],
      [denied, "verification.completed", "denied"],
    ];
    for (const [id, type, outcome] of expected) {
      const m = messages.find((x) => x.data.verificationId === id && x.type === type);
      assert.ok(m !== undefined, `${type} for ${id}`);
      const receipt = await receiptOf(id);
      assert.equal(m.data.outcome, outcome);
      assert.deepEqual(m.data.evidence, { auditEventId: receipt.eventId, seq: receipt.seq, hash: receipt.hash, action: receipt.action });
      assert.equal(m.id, `msg_${receipt.eventId}${type === "verification.fraud_reported" ? "_fraud" : ""}`);
      assert.equal(m.data.link, `${PUBLIC_URL}/history/${id}`);
      assert.deepEqual(m.data.tenant, { id: "acme", name: "Acme Test" });
      assert.deepEqual(m.data.subject, { displayName: "Jane Doe", directoryId: TEST_USERS.jane.id });
      assert.equal(m.data.technician, "Terry Tech");
    }
    const smsMessage = messages.find((m) => m.data.verificationId === sms);
    assert.equal(smsMessage?.data.method, "sms");
    assert.deepEqual(smsMessage?.data.ticket, { id: "T-100", system: null, confirmed: false });
    assert.match(smsMessage?.data.sentTo ?? "", /^\+44 [•\s]+0001$/, "the number masked, as the web app shows it");
    assert.equal(messages.find((m) => m.data.verificationId === fraud)?.data.sentTo, null, "a push has no destination");

    assert.equal(teams.cards.length, 4, "one card per ending; the fraud report is one alert, not two cards");
    const headlines = teams.cards.map((c) => ((c.body as { text?: string }[])[0]?.text ?? ""));
    assert.deepEqual(headlines.filter((h) => h.startsWith("Caller VERIFIED")).length, 2);
    assert.ok(headlines.some((h) => h.startsWith("Fraud alert: Jane Doe")));
    assert.ok(headlines.some((h) => h.startsWith("Caller DENIED")));

    assert.equal(slack.messages.length, 2, "fraud and denied only");
    assert.match(slack.messages[0]?.text ?? "", /Fraud alert: Jane Doe/);
    assert.match(slack.messages[1]?.text ?? "", /Caller DENIED: Jane Doe \(Acme Test\)/);
  });

  it("a rejected (too many wrong codes), an expired and a cancelled verification are reported too, with why", async () => {
    const before = receiver.messages.length;
    const rejected = String((await api("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "sms", ticket: "T-WRONG" })).id);
    for (let i = 0; i < 5; i += 1) await api("POST", `/api/v1/verifications/${rejected}/check`, { code: "000000" });
    const cancelled = String((await api("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "sms", ticket: "T-CANCEL" })).id);
    await api("POST", `/api/v1/verifications/${cancelled}/cancel`, { reason: "caller hung up" });
    const expired = String((await api("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "sms", ticket: "T-EXPIRE" })).id);
    clock.advance(3600_000);
    assert.ok((await t.runtime.engine.expireDue()) >= 1);
    await t.runtime.queue.drain();
    const fresh = webhookMessages().slice(before);
    const byId = (id: string) => fresh.filter((m) => m.data.verificationId === id);
    assert.deepEqual(byId(rejected).map((m) => [m.type, m.data.outcome, m.data.reason]), [["verification.completed", "rejected", "too_many_attempts"]]);
    assert.deepEqual(byId(cancelled).map((m) => [m.type, m.data.outcome]), [["verification.completed", "cancelled"]]);
    assert.deepEqual(byId(expired).map((m) => [m.type, m.data.outcome]), [["verification.completed", "expired"]]);
    const card = (verificationId: string) =>
      teams.cards.find((c) => JSON.stringify(c).includes(`/history/${verificationId}`)) as { body: { text?: string; facts?: { title: string; value: string }[] }[] } | undefined;
    assert.match(card(cancelled)?.body[0]?.text ?? "", /^Caller CANCELLED: Jane Doe$/);
    assert.match(card(expired)?.body[0]?.text ?? "", /^Caller EXPIRED: Jane Doe$/);
    const facts = Object.fromEntries((card(expired)?.body[1]?.facts ?? []).map((f) => [f.title, f.value]));
    assert.equal(facts.Ticket, "T-EXPIRE (a reference: no ticketing system)");
    assert.equal(facts.Why, "no answer before it expired");
    assert.match(card(rejected)?.body[0]?.text ?? "", /^Caller REJECTED: Jane Doe$/);
    assert.equal(Object.fromEntries((card(rejected)?.body[1]?.facts ?? []).map((f) => [f.title, f.value])).Why, "too many wrong codes");
    assert.equal(slack.messages.length, 2, "Slack asked for neither");
  });

  it("a verification that fails (the text is refused) reaches the top-level receiver only, not another tenant's channels", async () => {
    const before = receiver.messages.length;
    const [cards, chats] = [teams.cards.length, slack.messages.length];
    await api("POST", "/api/v1/verifications", { user: "hank@globex.test", method: "sms", ticket: "G-1" });
    await t.runtime.queue.drain();
    const fresh = webhookMessages().slice(before);
    assert.equal(fresh.length, 1, JSON.stringify(fresh));
    assert.equal(fresh[0]?.type, "verification.completed");
    assert.equal(fresh[0]?.data.outcome, "failed");
    assert.deepEqual(fresh[0]?.data.tenant, { id: "globex", name: "Globex Test" });
    assert.match(fresh[0]?.data.sentTo ?? "", /0101$/);
    assert.equal(teams.cards.length, cards, "Acme's Teams channel hears nothing of Globex");
    assert.equal(slack.messages.length, chats, "nor Acme's Slack channel");
  });

  it("an outage (no answer, 503, then 429 with Retry-After) delays a webhook but loses none and sends none twice", async () => {
    const before = receiver.attempts.length;
    const processed = receiver.messages.length;
    const cards = teams.cards.length;
    receiver.setMode({ kind: "drop" });
    const id = await smsVerified("T-200");
    await t.runtime.queue.drain();
    assert.equal(teams.cards.length, cards + 1, "the Teams card does not wait for the webhook");
    receiver.setMode({ kind: "status", status: 503 });
    clock.advance(10_001);
    await t.runtime.queue.drain();
    receiver.setMode({ kind: "status", status: 429, body: "slow down", retryAfter: "120" });
    clock.advance(20_001);
    await t.runtime.queue.drain();
    assert.equal(receiver.attempts.length - before, 3, "tried while down: dropped, 503, 429");
    receiver.setMode({ kind: "ok" });
    clock.advance(60_000);
    await t.runtime.queue.drain();
    assert.equal(receiver.attempts.length - before, 3, "Retry-After: 120 is honoured (no attempt 60 s later)");
    clock.advance(61_000);
    await t.runtime.queue.drain();
    assert.equal(receiver.attempts.length - before, 4, "sent once Retry-After has passed");

    const delivered = receiver.messages.slice(processed).filter((m) => (JSON.parse(m.body) as Envelope).data.verificationId === id);
    assert.equal(delivered.length, 1);
    const tries = receiver.attempts.slice(before);
    assert.deepEqual(new Set(tries.map((a) => a.id)), new Set([delivered[0]?.id]), "every attempt carried the same webhook-id");
    assert.equal(new Set(tries.map((a) => a.timestamp)).size, 4, "each attempt has its own timestamp");
    assert.equal(new Set(tries.map((a) => a.body)).size, 1, "and the same body");
    for (const a of tries) {
      const verdict = specVerify({ secret: SECRET, id: a.id, timestamp: a.timestamp, signatureHeader: a.signature, body: a.body, nowSeconds: Number(a.timestamp) });
      assert.deepEqual(verdict, { ok: true }, "each attempt is signed afresh for its own timestamp");
    }
    clock.advance(3600_000);
    assert.equal(await t.runtime.queue.drain(), 0, "nothing is sent again");
    assert.equal(receiver.attempts.length - before, 4);
  });

  it("gives up on a message the destination refuses, or after the retry window, and audits notification.failed", async () => {
    teams.setMode({ kind: "status", status: 503 });
    slack.setMode({ kind: "status", status: 400, body: "invalid_payload" });
    const denied = await pushAnswered("deny");
    await t.runtime.queue.drain();
    const slackFailure = (await auditOf("notification.failed")).find((e) => e.verificationId === denied && String(e.data?.destination).startsWith("slack"));
    assert.equal(slackFailure?.data?.destination, `slack "fraud desk" ${new URL(slack.url).origin}`);
    assert.match(slackFailure?.reason ?? "", /answered 400 invalid_payload/);

    clock.advance(61 * 60_000);
    await t.runtime.queue.drain();
    const teamsFailure = (await auditOf("notification.failed")).find((e) => e.verificationId === denied && String(e.data?.destination).startsWith("teams"));
    assert.equal(teamsFailure?.data?.destination, `teams ${new URL(teams.url).origin}`);
    assert.match(teamsFailure?.reason ?? "", /answered 503/);
    teams.setMode({ kind: "ok" });
    slack.setMode({ kind: "ok" });
  });

  it("a 410 Gone disables the destination and is audited; nothing more is sent to it, others carry on", async () => {
    slack.setMode({ kind: "status", status: 410, body: "channel_is_archived" });
    await pushAnswered("deny");
    await t.runtime.queue.drain();
    const [disabled] = await auditOf("notification.disabled");
    assert.equal(disabled?.data?.destination, `slack "fraud desk" ${new URL(slack.url).origin}`);
    assert.match(disabled?.reason ?? "", /410 Gone/);
    slack.setMode({ kind: "ok" });
    const attempts = slack.attempts();
    const cards = teams.cards.length;
    await pushAnswered("fraud");
    await t.runtime.queue.drain();
    assert.equal(slack.attempts(), attempts, "the disabled destination gets nothing");
    assert.equal(teams.cards.length, cards + 1);
    assert.equal((await auditOf("notification.disabled")).length, 1);
  });

  it("an administrator's Test connection sends each destination one signed test message and says what it answered", async () => {
    const notifications = { all: () => t.runtime.notifications.all(), probe: (d: NotificationDestination) => probeDestination(d, { clock, db: t.runtime.database.db, audit: t.runtime.audit }) };
    const tests = createConnectionTests({ tenants: t.runtime.tenants, config: t.runtime.config, anchors: t.runtime.anchors, notifications, audit: t.runtime.audit, clock });
    const { tenants, notifications: everyTenant } = tests.list(t.admin);
    assert.deepEqual(everyTenant.map((n) => [n.name, n.product]), [[`webhook ${new URL(receiver.url).origin}`, "Signed webhook (Standard Webhooks)"]]);
    const own = tenants.find((v) => v.tenant.id === "acme")?.notifications ?? [];
    assert.deepEqual(own.map((n) => n.product), ["Microsoft Teams (Workflows)", "Slack (incoming webhook)"]);
    assert.ok([...everyTenant, ...own].every((n) => !n.id.includes("hooks.slack") && !n.id.includes(teams.signature)), "ids hold no URL");

    const processed = receiver.messages.length;
    const webhook = await tests.run(everyTenant[0]!.id, t.admin);
    assert.equal(webhook.ok, true, webhook.detail);
    assert.equal(receiver.messages.length, processed + 1);
    const sent = receiver.messages.at(-1)!;
    assert.match(sent.id, /^msg_test_/);
    assert.equal((JSON.parse(sent.body) as { type: string }).type, "verity.test");
    assert.deepEqual(receiver.refused, []);

    assert.equal((await tests.run(own[0]!.id, t.admin)).ok, true);
    assert.equal(((teams.cards.at(-1)?.body as { text?: string }[])[0])?.text, "Verity test message");
    slack.setMode({ kind: "status", status: 400, body: "invalid_payload" });
    const refused = await tests.run(own[1]!.id, t.admin);
    slack.setMode({ kind: "ok" });
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /answered 400 invalid_payload/);
    assert.equal((await auditOf("notification.enabled")).length, 0, "a refused test enables nothing");

    // Slack was disabled by its 410 (the test before): a test it takes enables it again.
    clock.advance(11_000);
    const enabled = await tests.run(own[1]!.id, t.admin);
    assert.equal(enabled.ok, true);
    assert.match(enabled.detail, /took a test message\. It had been disabled since .* \(.*410 Gone\); Verity sends to it again/);
    const [audited] = await auditOf("notification.enabled");
    assert.equal(audited?.data?.destination, `slack "fraud desk" ${new URL(slack.url).origin}`);
    const messages = slack.messages.length;
    await pushAnswered("fraud");
    await t.runtime.queue.drain();
    assert.equal(slack.messages.length, messages + 1, "events reach it again");
    assert.equal((await auditOf("integration.tested")).length, 4);
  });

  it("no payload, job, log line or audit event holds a phone number, a code, a secret URL or the webhook secret", async () => {
    const jobs = await t.runtime.database.db.selectFrom("jobs").select("payload").execute();
    const audit = await listAuditEvents(t.runtime.database.db, { limit: 10_000 });
    const haystack = [
      ...receiver.attempts.map((a) => `${JSON.stringify(a.headers)} ${a.body}`),
      ...teams.bodies,
      ...slack.bodies,
      ...jobs.map((j) => j.payload),
      ...t.logs,
      JSON.stringify(audit),
    ].join("\n");
    assert.ok(codes.length >= 2);
    const secrets = [
      SECRET,
      SECRET.slice(6),
      teams.signature,
      new URL(slack.url).pathname,
      TEST_USERS.jane.mobile,
      TEST_USERS.jane.mobile.slice(-6),
      "7700 900001",
      GLOBEX_MOBILE,
      "7700 900101",
      ...codes.map((c) => `"${c}"`),
      ...codes.map((c) => ` ${c} `),
    ];
    for (const secret of secrets) assert.ok(!haystack.includes(secret), `found ${secret.slice(0, 4)}… somewhere`);
  });
});

/**
 * The outbox survives a crash: a real `verity serve` process records a verified check (the audit
 * event and the queued message commit together), is killed with SIGKILL while its webhook is in
 * flight (the receiver holds the request unanswered), and once restarted delivers that message:
 * once, with the webhook-id of the attempt the crash cut off.
 */
describe("outbound events survive a crash between the audit event and delivery", () => {
  let dir: string;
  let receiver: FakeWebhookReceiver;
  let configPath: string;
  let port: number;
  let token: string;
  let child: ChildProcess | undefined;
  const env = () => ({ VERITY_CONFIG: configPath, VERITY_EVENTS_SECRET: SECRET, VERITY_TECHNICIAN: "Terry Tech" });

  const serve = async (): Promise<ChildProcess> => {
    const started = spawn(process.execPath, [BIN, "serve", "--config", configPath], {
      stdio: "ignore",
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env() },
    });
    for (let i = 0; i < 400; i += 1) {
      if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return started;
      await sleep(25);
    }
    started.kill("SIGKILL");
    throw new Error("verity serve did not become ready");
  };
  const kill = async (process: ChildProcess, signal: NodeJS.Signals) => {
    const exited = new Promise((resolve) => (process.exitCode !== null || process.signalCode !== null ? resolve(null) : process.once("exit", resolve)));
    process.kill(signal);
    await exited;
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "verity-events-crash-"));
    receiver = await startFakeWebhookReceiver({ secret: SECRET });
    port = await freePort();
    writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
    configPath = join(dir, "verity.yaml");
    writeFileSync(
      configPath,
      stringify({
        dataDir: join(dir, "data"),
        server: { host: "127.0.0.1", port, publicUrl: PUBLIC_URL },
        security: { hashKey: "events-crash-hash-key-0123456789-abcdefgh" },
        log: { level: "warn" },
        jobs: { lockSeconds: 5 },
        providers: { console: { kind: "console" } },
        notifications: [{ kind: "webhook", url: receiver.url, secret: "${VERITY_EVENTS_SECRET}" }],
        tenants: [{ id: "acme", name: "Acme Test", domains: ["acme.test"], directory: { kind: "file", path: "directory.yaml" }, methods: { sms: "console" } }],
      }),
    );
    const created = await runCli(["token", "create", "--name", "Terry Tech", "--role", "technician"], { cwd: dir, env: env() });
    assert.equal(created.code, 0, created.stderr);
    token = created.stdout.trim();
  });

  after(async () => {
    if (child !== undefined) await kill(child, "SIGKILL");
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a message queued with the verified check is delivered after a kill -9 and a restart, once", async () => {
    receiver.setMode({ kind: "hang" });
    child = await serve();
    const v = await call("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "sms", ticket: "T-CRASH" });
    const id = String(v.id);
    const code = await waitFor(async () => (await readOutbox(join(dir, "data", "dev-outbox.jsonl"), 10)).find((m) => m.text.length > 0)?.text.match(/\b(\d{6})\b/)?.[1]);
    const checked = await call("POST", `/api/v1/verifications/${id}/check`, { code });
    assert.equal(checked.outcome, "verified");
    const cutOff = await waitFor(() => receiver.attempts[0], 10_000);
    await kill(child, "SIGKILL");
    child = undefined;
    assert.equal(receiver.messages.length, 0, "nothing was delivered before the crash");

    receiver.setMode({ kind: "ok" });
    child = await serve();
    const delivered = await waitFor(() => receiver.messages[0], 20_000);
    assert.equal(delivered.id, cutOff.id, "the same webhook-id as the attempt the crash cut off");
    assert.equal(delivered.body, cutOff.body);
    const message = JSON.parse(delivered.body) as Envelope;
    assert.equal(message.type, "verification.completed");
    assert.equal(message.data.verificationId, id);
    assert.equal(message.data.outcome, "verified");
    assert.deepEqual(receiver.refused, []);
    await sleep(300);
    await kill(child, "SIGTERM");
    child = undefined;
    assert.equal(receiver.messages.length, 1, "delivered once");
    assert.ok(receiver.attempts.every((a) => a.id === cutOff.id));
  });
});
