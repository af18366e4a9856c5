import type { NotificationMessage } from "../../../domain/notifications.js";
import { messageFacts } from "../message-facts.js";

/**
 * Slack's mrkdwn treats only `&`, `<` and `>` as control characters (links, mentions such as
 * `<!channel>`); escaping them keeps a caller's name from pinging a channel or becoming a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const ICONS = { good: ":white_check_mark:", attention: ":rotating_light:", neutral: ":information_source:" } as const;

/**
 * An incoming webhook's body (PROVIDERS.md 9.3): `text` is the notification and fallback,
 * `blocks` the message people see.
 */
export function slackMessage(message: NotificationMessage): Record<string, unknown> {
  const facts = messageFacts(message);
  const summary = facts.facts.find((f) => f.title === "Organisation");
  const text = `${ICONS[facts.tone]} ${escapeMrkdwn(facts.headline)}${summary === undefined ? "" : ` (${escapeMrkdwn(summary.value)})`}`;
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: facts.headline.slice(0, 150), emoji: false } },
    {
      type: "section",
      fields: facts.facts.slice(0, 10).map((f) => ({ type: "mrkdwn", text: `*${f.title}*\n${escapeMrkdwn(f.value)}` })),
    },
  ];
  if (facts.link !== null) blocks.push({ type: "section", text: { type: "mrkdwn", text: `<${facts.link}|Open in Verity>` } });
  if (facts.evidence !== null) blocks.push({ type: "context", elements: [{ type: "plain_text", text: facts.evidence, emoji: false }] });
  return { text, blocks };
}
