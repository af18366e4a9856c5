import { htmlToText } from "../shared/note-text.js";

/**
 * Verity's note HTML as a Jira comment body. Comment bodies are Jira wiki markup, so a link is
 * written `[label|url]`: Jira shows it as a link, and the URL keeps clear of the sentence's own
 * punctuation (a bare "label: url." would end in the full stop). Everything else is plain text,
 * every word, the audit hash and the marker kept.
 *
 * @example
 * jsmCommentBody('<p>Next. <a href="https://verity.example/v/1#t=x">Open the verification</a>.</p>')
 * // "Next. [Open the verification|https://verity.example/v/1#t=x]."
 */
export function jsmCommentBody(html: string): string {
  const linked = html.replace(/<a\s[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/gi, (_m, href: string, label: string) => {
    const safeLabel = label.replace(/[[\]|]/g, " ").trim();
    const safeHref = href.replace(/[[\]|\s]/g, encodeURIComponent);
    return safeLabel === "" ? `[${safeHref}]` : `[${safeLabel}|${safeHref}]`;
  });
  return htmlToText(linked);
}
