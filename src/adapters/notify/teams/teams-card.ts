import type { NotificationMessage } from "../../../domain/notifications.js";
import { messageFacts } from "../message-facts.js";

const COLOURS = { good: "Good", attention: "Attention", neutral: "Default" } as const;

/**
 * Adaptive Card text takes a subset of Markdown: escape what could turn a name into a link,
 * emphasis or a list. (How each client renders a backslash escape: UNCONFIRMED; the text stays
 * inert either way.)
 */
export function escapeCardText(text: string): string {
  return text.replace(/[\\`*_[\]~<>]/g, (c) => `\\${c}`).replace(/^([-+#]|\d+\.)/, "\\$1");
}

/**
 * The message a Teams Workflow ("When a Teams webhook request is received", then "Post card in a
 * chat or channel") takes: one Adaptive Card 1.4 attachment (PROVIDERS.md 9.2). The usual flow
 * posts `attachments[0].content`.
 */
export function teamsMessage(message: NotificationMessage): Record<string, unknown> {
  const facts = messageFacts(message);
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", text: escapeCardText(facts.headline), weight: "Bolder", size: "Medium", color: COLOURS[facts.tone], wrap: true },
    { type: "FactSet", facts: facts.facts.map((f) => ({ title: f.title, value: escapeCardText(f.value) })) },
  ];
  if (facts.evidence !== null) body.push({ type: "TextBlock", text: escapeCardText(facts.evidence), size: "Small", isSubtle: true, wrap: true });
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          ...(facts.link === null ? {} : { actions: [{ type: "Action.OpenUrl", title: "Open in Verity", url: facts.link }] }),
        },
      },
    ],
  };
}
