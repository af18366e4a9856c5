/**
 * Makes text inert inside HTML: escapes & < > " ' and drops control characters (CR/LF, ANSI
 * escapes) so a ticket field or a name cannot add markup, links or lines to a note.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
