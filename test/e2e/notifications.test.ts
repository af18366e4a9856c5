import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { startFakeSlackWebhook, type FakeSlackWebhook } from "../fakes/notify/fake-slack-webhook.js";
import { startFakeTeamsWorkflow, type FakeTeamsWorkflow } from "../fakes/notify/fake-teams-workflow.js";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../fakes/notify/fake-webhook-receiver.js";
import { createFakeClock } from "../helpers/clock.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";

/**
 * Issue 11's outbound events end to end: a real Verity server with console SMS and the simulated
 * push, a Standard Webhooks receiver (top-level list, every tenant), a Teams workflow and a Slack
 * webhook (Acme's own list; Slack only for fraud, denials and failures).
 */
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const PUBLIC_URL = "https://verity.example.net";

interface Envelope {
  type: string;
  timestamp: string;
  data: {
    verificationId: string;
    tenant: { id: string; name: string };
    outcome: string;
    method: string;
    ticket: { id: string; system: string | null } | null;
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
    return String(v.id);
  };
  const webhookMessages = () => receiver.messages.map((m) => ({ id: m.id, ...(JSON.parse(m.body) as Envelope) }));
  const auditOf = async (action: string) => (await listAuditEvents(t.runtime.database.db, { limit: 10_000 })).filter((e) => e.action === action);

  before(async () => {
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
        tenants: [
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
    await Promise.all([receiver.close(), teams.close(), slack.close()]);
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
    assert.deepEqual(smsMessage?.data.ticket, { id: "T-100", system: null });

    assert.equal(teams.cards.length, 4, "one card per ending; the fraud report is one alert, not two cards");
    const headlines = teams.cards.map((c) => ((c.body as { text?: string }[])[0]?.text ?? ""));
    assert.deepEqual(headlines.filter((h) => h.startsWith("Caller VERIFIED")).length, 2);
    assert.ok(headlines.some((h) => h.startsWith("Fraud alert: Jane Doe")));
    assert.ok(headlines.some((h) => h.startsWith("Caller DENIED")));

    assert.equal(slack.messages.length, 2, "fraud and denied only");
    assert.match(slack.messages[0]?.text ?? "", /Fraud alert: Jane Doe/);
    assert.match(slack.messages[1]?.text ?? "", /Caller DENIED: Jane Doe \(Acme Test\)/);
  });

  it("a receiver that is down gets the message once it is back: once, with the same webhook-id", async () => {
    receiver.setMode({ kind: "drop" });
    const before = receiver.attempts.length;
    const id = await smsVerified("T-200");
    await t.runtime.queue.drain();
    clock.advance(15_000);
    await t.runtime.queue.drain();
    const failed = receiver.attempts.slice(before);
    assert.ok(failed.length >= 2, "it was tried while down");
    receiver.setMode({ kind: "ok" });
    for (let i = 0; i < 20 && !receiver.messages.some((m) => (JSON.parse(m.body) as Envelope).data.verificationId === id); i += 1) {
      clock.advance(60_000);
      await t.runtime.queue.drain();
    }
    const delivered = receiver.messages.filter((m) => (JSON.parse(m.body) as Envelope).data.verificationId === id);
    assert.equal(delivered.length, 1);
    const tries = receiver.attempts.slice(before).filter((a) => a.id === delivered[0]?.id);
    assert.equal(tries.length, receiver.attempts.length - before, "every attempt carried the same webhook-id");
    assert.ok(new Set(tries.map((a) => a.timestamp)).size > 1, "each attempt has its own timestamp");
    assert.equal(new Set(tries.map((a) => a.body)).size, 1, "and the same body");
    clock.advance(3600_000);
    assert.equal(await t.runtime.queue.drain(), 0, "nothing is sent again");
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
      ...codes.map((c) => `"${c}"`),
      ...codes.map((c) => ` ${c} `),
    ];
    for (const secret of secrets) assert.ok(!haystack.includes(secret), `found ${secret.slice(0, 4)}… somewhere`);
  });
});
