import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createSlackNotifier } from "../../../src/adapters/notify/slack/slack-notifier.js";
import { createTeamsNotifier } from "../../../src/adapters/notify/teams/teams-notifier.js";
import { createWebhookNotifier } from "../../../src/adapters/notify/webhook/webhook-notifier.js";
import { Secret } from "../../../src/config/secret.js";
import { isVerityError, type VerityError } from "../../../src/domain/errors.js";
import type { NotificationMessage, Notifier } from "../../../src/domain/notifications.js";
import { startFakeSlackWebhook, type FakeSlackWebhook } from "../../fakes/notify/fake-slack-webhook.js";
import { startFakeTeamsWorkflow, type FakeTeamsWorkflow } from "../../fakes/notify/fake-teams-workflow.js";
import { startFakeWebhookReceiver, type FakeWebhookReceiver } from "../../fakes/notify/fake-webhook-receiver.js";
import { startHttpFake } from "../../fakes/notify/http-fake.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;

const MESSAGE: NotificationMessage = {
  type: "verification.completed",
  timestamp: "2026-11-23T09:00:05.000Z",
  data: {
    verificationId: "0b7c5a8e-1111-4222-8333-444455556666",
    tenant: { id: "acme", name: "Acme <Test> & Co" },
    outcome: "verified",
    reason: "code_matched",
    method: "sms",
    methodLabel: "Text message (SMS) code",
    ticket: { id: "4242", system: "halo", confirmed: true },
    sentTo: "+44 •••• ••0001",
    subject: { displayName: "Jane [Doe](https://evil.example) <!channel>", directoryId: "jane-id" },
    technician: "Terry Tech",
    at: "2026-11-23T09:00:05.000Z",
    evidence: { auditEventId: "9d1e0000-0000-4000-8000-000000000001", seq: 12, hash: "ab".repeat(32), action: "check.accepted" },
    link: "https://verity.example.net/history/0b7c5a8e-1111-4222-8333-444455556666",
  },
};

const attempt = (now = new Date()) => ({ messageId: "msg_test_1", now });

async function failure(promise: Promise<unknown>): Promise<VerityError> {
  try {
    await promise;
  } catch (error) {
    if (isVerityError(error)) return error;
    throw error;
  }
  return assert.fail("expected a failure");
}

describe("notifiers against their fakes", () => {
  let receiver: FakeWebhookReceiver;
  let teams: FakeTeamsWorkflow;
  let slack: FakeSlackWebhook;
  let webhook: Notifier;
  let teamsNotifier: Notifier;
  let slackNotifier: Notifier;

  before(async () => {
    [receiver, teams, slack] = await Promise.all([startFakeWebhookReceiver({ secret: SECRET }), startFakeTeamsWorkflow(), startFakeSlackWebhook()]);
    webhook = createWebhookNotifier({ kind: "webhook", url: receiver.url, secret: new Secret(SECRET) }, {});
    teamsNotifier = createTeamsNotifier({ kind: "teams", url: new Secret(teams.url) }, { timeoutMs: 500 });
    slackNotifier = createSlackNotifier({ kind: "slack", url: new Secret(slack.url) }, { timeoutMs: 500 });
  });
  after(async () => {
    await Promise.all([webhook.close(), teamsNotifier.close(), slackNotifier.close()]);
    await Promise.all([receiver.close(), teams.close(), slack.close()]);
  });

  it("a webhook is signed per Standard Webhooks and carries {type, timestamp, data}", async () => {
    const now = new Date();
    assert.equal(await webhook.deliver(MESSAGE, attempt(now)), "delivered");
    const got = receiver.messages.at(-1);
    assert.equal(got?.id, "msg_test_1");
    assert.equal(got?.timestamp, String(Math.floor(now.getTime() / 1000)));
    assert.match(got?.signature ?? "", /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(JSON.parse(got?.body ?? ""), MESSAGE);
    assert.deepEqual(receiver.refused, []);
    assert.equal(webhook.label, `webhook ${new URL(receiver.url).origin}`);
  });

  it("a webhook signed with another secret is refused by the receiver, and that is retried", async () => {
    const stranger = createWebhookNotifier({ kind: "webhook", url: receiver.url, secret: new Secret(`whsec_${randomBytes(32).toString("base64")}`) }, {});
    try {
      const error = await failure(stranger.deliver(MESSAGE, attempt()));
      assert.equal(error.code, "NOTIFICATION_FAILED");
      assert.equal(error.retryable, true);
      assert.deepEqual(receiver.refused.at(-1), "no matching v1 signature");
    } finally {
      await stranger.close();
    }
  });

  it("Teams gets an Adaptive Card with the outcome, caller, tenant, ticket, method, technician, evidence and link; 202 is success", async () => {
    assert.equal(await teamsNotifier.deliver(MESSAGE, attempt()), "delivered");
    const card = teams.cards.at(-1) as { version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[]; actions: { url: string }[] };
    assert.equal(card.version, "1.4");
    const text = JSON.stringify(card);
    assert.match(card.body[0]?.text ?? "", /^Caller VERIFIED: Jane \\\[Doe\\\]\(https:\/\/evil\.example\) \\<!channel\\>$/, "markdown in a name is escaped");
    const facts = Object.fromEntries((card.body[1]?.facts ?? []).map((f) => [f.title, f.value]));
    assert.deepEqual(Object.keys(facts), ["Outcome", "Caller", "Organisation", "Ticket", "Method", "Sent to", "Technician", "When"]);
    assert.equal(facts.Ticket, "4242 (halo)");
    assert.equal(facts.Method, "Text message (SMS) code");
    assert.ok(text.includes("ab".repeat(32)), "the evidence hash");
    assert.equal(card.actions[0]?.url, MESSAGE.data && "link" in MESSAGE.data ? MESSAGE.data.link : "");
  });

  it("Slack gets {text, blocks} and 200 ok is success; mrkdwn control characters are escaped", async () => {
    assert.equal(await slackNotifier.deliver(MESSAGE, attempt()), "delivered");
    const message = slack.messages.at(-1);
    assert.match(message?.text ?? "", /Caller VERIFIED: Jane \[Doe\]\(https:\/\/evil\.example\) &lt;!channel&gt; \(Acme &lt;Test&gt; &amp; Co\)/);
    assert.ok(!(message?.text ?? "").includes("<!channel>"));
    assert.ok(JSON.stringify(message?.blocks).includes("ab".repeat(32)));
  });

  it("Slack's 400 invalid_payload is final; 429 with Retry-After (seconds or a date) is retried after it; 410 is gone", async () => {
    slack.setMode({ kind: "status", status: 400, body: "invalid_payload" });
    const refused = await failure(slackNotifier.deliver(MESSAGE, attempt()));
    assert.equal(refused.code, "NOTIFICATION_REFUSED");
    assert.equal(refused.retryable, false);
    assert.match(refused.message, /answered 400 invalid_payload/);

    slack.setMode({ kind: "status", status: 429, body: "rate_limited", retryAfter: "7" });
    const limited = await failure(slackNotifier.deliver(MESSAGE, attempt()));
    assert.equal(limited.code, "NOTIFICATION_FAILED");
    assert.equal(limited.retryAfterSeconds, 7);

    const now = new Date("2026-11-23T09:00:00.000Z");
    slack.setMode({ kind: "status", status: 503, retryAfter: new Date(now.getTime() + 120_000).toUTCString() });
    assert.equal((await failure(slackNotifier.deliver(MESSAGE, attempt(now)))).retryAfterSeconds, 120);

    slack.setMode({ kind: "status", status: 410, body: "channel_is_archived" });
    assert.equal(await slackNotifier.deliver(MESSAGE, attempt()), "gone");

    slack.setMode({ kind: "status", status: 200, body: "" });
    assert.equal((await failure(slackNotifier.deliver(MESSAGE, attempt()))).code, "NOTIFICATION_FAILED", "200 without ok is not Slack's success");
    slack.setMode({ kind: "ok" });
  });

  it("a dropped connection or no answer within the timeout is retried, and the error names only the origin", async () => {
    slack.setMode({ kind: "drop" });
    const dropped = await failure(slackNotifier.deliver(MESSAGE, attempt()));
    assert.equal(dropped.code, "NOTIFICATION_FAILED");
    slack.setMode({ kind: "hang" });
    const started = Date.now();
    const slow = await failure(slackNotifier.deliver(MESSAGE, attempt()));
    assert.equal(slow.code, "NOTIFICATION_FAILED");
    assert.ok(Date.now() - started < 5000);
    slack.setMode({ kind: "ok" });
    for (const error of [dropped, slow]) {
      assert.ok(!error.message.includes("/services/"), "no path of the secret URL");
      assert.equal(error.cause, undefined);
    }
  });

  it("a Teams 4xx is final and 5xx is retried; a webhook's 4xx is retried (Standard Webhooks) and 410 is gone", async () => {
    teams.setMode({ kind: "status", status: 400 });
    assert.equal((await failure(teamsNotifier.deliver(MESSAGE, attempt()))).code, "NOTIFICATION_REFUSED");
    teams.setMode({ kind: "status", status: 502 });
    assert.equal((await failure(teamsNotifier.deliver(MESSAGE, attempt()))).code, "NOTIFICATION_FAILED");
    teams.setMode({ kind: "ok" });
    const wrongSig = createTeamsNotifier({ kind: "teams", url: new Secret(teams.url.replace(teams.signature, "guessed")) }, {});
    try {
      const error = await failure(wrongSig.deliver(MESSAGE, attempt()));
      assert.equal(error.code, "NOTIFICATION_REFUSED");
      assert.match(error.message, /answered 401 DirectApiAuthorizationRequired/);
    } finally {
      await wrongSig.close();
    }
    receiver.setMode({ kind: "status", status: 400 });
    assert.equal((await failure(webhook.deliver(MESSAGE, attempt()))).code, "NOTIFICATION_FAILED");
    receiver.setMode({ kind: "status", status: 410 });
    assert.equal(await webhook.deliver(MESSAGE, attempt()), "gone");
    receiver.setMode({ kind: "ok" });
  });

  it("follows no redirect", async () => {
    let followed = 0;
    const redirector = await startHttpFake((request, _body, response) => {
      if (request.url === "/elsewhere") {
        followed += 1;
        return void response.writeHead(200).end("ok");
      }
      response.writeHead(307, { location: "/elsewhere" }).end();
    });
    const notifier = createSlackNotifier({ kind: "slack", url: new Secret(`${redirector.origin}/services/x`) }, {});
    try {
      const error = await failure(notifier.deliver(MESSAGE, attempt()));
      assert.equal(error.code, "NOTIFICATION_REFUSED");
      assert.match(error.message, /307 \(a redirect, which is not followed/);
      assert.equal(followed, 0);
    } finally {
      await notifier.close();
      await redirector.close();
    }
  });
});
