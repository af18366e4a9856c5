/**
 * Verity's notes are small HTML documents (p, b, ul, li, a, br, small; see services/note-content.ts).
 * Systems whose internal notes are plain text (ConnectWise, Autotask, ServiceNow work notes, Jira
 * comments) get the same words this way: paragraphs become lines, list items "- " lines, a link
 * "text: url", entities their characters. Every word, the audit hash and the marker survive.
 *
 * @example
 * htmlToText('<p><b>Verity: caller VERIFIED</b></p><ul><li>Caller account: Jane</li></ul>')
 * // "Verity: caller VERIFIED\n- Caller account: Jane"
 */
export function htmlToText(html: string): string {
  const text = html
    // A link ends its line, so a full stop after it never reads as part of the address.
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>[.]?/gi, (_m, href: string, label: string) => `${label}: ${href}\n`)
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li[^>]*>/gi, "\n- ")
    .replace(/<\/(p|ul|ol|li|div|h\d)>/gi, "\n")
    .replace(/<[^>]+>/g, "");
  return decodeEntities(text)
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .filter((line) => line !== "")
    .join("\n");
}

const NAMED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]+);/gi, (whole, name: string) => {
    if (!name.startsWith("#")) return NAMED[name.toLowerCase()] ?? whole;
    const point = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : whole;
  });
}
