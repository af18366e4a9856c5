const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

// Terminal escape sequences (CSI such as ESC[31m, OSC such as ESC]8;;url BEL) are removed whole,
// so no "[31m" debris is left behind once the ESC itself is gone.
const ANSI_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u009b[0-?]*[ -/]*[@-~]/g;
const LINE_BREAKS = /[\r\n\t\v\f\u0085\u2028\u2029]+/g;
// Remaining C0/C1 controls, plus bidirectional overrides that make text display in another order
// than it is stored ("Trojan Source").
const INVISIBLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Makes text safe to place inside note HTML, as element content or a quoted attribute value.
 * Ticket summaries and user names are typed by end users, so they may hold HTML, markdown,
 * CR/LF or terminal escapes: `& < > " '` become entities, terminal escape sequences and control
 * characters are removed, and line breaks and tabs become single spaces so a value stays on one
 * line in the note and in any log that quotes it.
 *
 * @example
 * ```ts
 * escapeHtml('<b>Bob</b>\r\nAdmin') // "&lt;b&gt;Bob&lt;/b&gt; Admin"
 * ```
 */
export function escapeHtml(text: string): string {
  return text
    .replace(ANSI_SEQUENCE, "")
    .replace(LINE_BREAKS, " ")
    .replace(INVISIBLE, "")
    .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
