import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { messageFacts } from "../../../src/adapters/notify/message-facts.js";
import { slackMessage } from "../../../src/adapters/notify/slack/slack-message.js";
import { teamsMessage } from "../../../src/adapters/notify/teams/teams-card.js";
import type { NotificationMessage, VerificationEventData } from "../../../src/domain/notifications.js";

const DATA: VerificationEventData = {
  verificationId: "v-1",
  tenant: { id: "contoso", name: "Contoso Ltd" },
  outcome: "fraud",
  reason: "fraud",
  method: "duo-push",
  methodLabel: "Push to Duo Mobile",
  ticket: { id: "T-9", system: "halo", confirmed: false },
  sentTo: null,
  subject: { displayName: "Sam\nPatel", directoryId: "u-2" },
  technician: "Terry Tech",
  at: "2026-11-23T09:00:05.000Z",
  evidence: { auditEventId: "e-1", seq: 7, hash: "cd".repeat(32), action: "push.fraud_reported" },
  link: null,
};
const fraud: NotificationMessage = { type: "verification.fraud_reported", timestamp: DATA.at, data: DATA };

describe("chat messages in a technician's words", () => {
  it("a fraud alert says so first, with why, the unconfirmed ticket, and no link without a public URL", () => {
    const facts = messageFacts(fraud);
    assert.equal(facts.headline, "Fraud alert: Sam Patel reported a verification request as not theirs", "a line break in a name is flattened");
    assert.equal(facts.tone, "attention");
    const byTitle = Object.fromEntries(facts.facts.map((f) => [f.title, f.value]));
    assert.equal(byTitle.Outcome, "FRAUD REPORTED");
    assert.equal(byTitle.Why, "the caller's app reported the request as fraud");
    assert.equal(byTitle.Ticket, "T-9 (halo, not yet confirmed as the caller's ticket)");
    assert.equal(byTitle["Sent to"], undefined, "a push has no destination");
    assert.equal(byTitle.When, "2026-11-23 09:00:05 UTC");

    const card = (teamsMessage(fraud).attachments as { content: Record<string, unknown> }[])[0]?.content ?? {};
    assert.equal(card.actions, undefined, "no Open in Verity without server.publicUrl");
    assert.equal((card.body as { color?: string }[])[0]?.color, "Attention");
    const slack = slackMessage(fraud) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    assert.match(slack.text, /^:rotating_light: Fraud alert: Sam Patel .* \(Contoso Ltd\)$/);
    assert.ok(!JSON.stringify(slack.blocks).includes("Open in Verity"));
  });

  it("a verified caller with a link: a good tone, no Why, and the link in both", () => {
    const verified: NotificationMessage = {
      type: "verification.completed",
      timestamp: DATA.at,
      data: { ...DATA, outcome: "verified", reason: "code_matched", method: "sms", methodLabel: "Text message (SMS) code", sentTo: "+44 ••••• ••0001", ticket: null, link: "https://verity.example/history/v-1" },
    };
    const facts = messageFacts(verified);
    assert.equal(facts.tone, "good");
    assert.deepEqual(
      facts.facts.map((f) => f.title),
      ["Outcome", "Caller", "Organisation", "Method", "Sent to", "Technician", "When"],
    );
    const card = (teamsMessage(verified).attachments as { content: { actions: { url: string }[] } }[])[0]?.content;
    assert.equal(card?.actions[0]?.url, "https://verity.example/history/v-1");
    assert.ok(JSON.stringify(slackMessage(verified)).includes("<https://verity.example/history/v-1|Open in Verity>"));
  });
});
