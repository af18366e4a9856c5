import { VerityError } from "../../../domain/errors.js";
import { maskEmail } from "../../../domain/masking.js";
import type { OutboundMessage } from "../../../domain/ports.js";

/**
 * What both email channels (SMTP and Graph sendMail) need from a message, checked once: the
 * recipient is one plain ASCII address (no display name, no second address, no line break that
 * could open a new header), the subject is one line, and the body comes as text and as minimal
 * HTML built from the text by escaping (the tenant's wording is never read as markup).
 */
export interface EmailContent {
  readonly to: string;
  readonly masked: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/**
 * One address as the directory lists it: `local@domain`, ASCII printable only, no spaces,
 * quotes, angle brackets, commas, semicolons or control characters, at most 254 characters.
 * Deliberately narrower than RFC 5322: anything unusual is refused, not interpreted.
 */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Whether `value` is one plain address Verity will put in an email header. */
export function isPlainAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value) && !value.includes("..") && !value.startsWith(".") && !value.includes(".@");
}

 
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** The subject on one line: every run of control characters (CR, LF, tab…) becomes one space. */
export function oneLine(value: string, max = 200): string {
  return value.replace(CONTROL, " ").trim().slice(0, max);
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Minimal HTML for the text: each blank-line-separated block a paragraph, each line break a `<br>`. */
export function htmlOf(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter((block) => block !== "")
    .map((block) => `<p>${block.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c).replace(/\n/g, "<br>\n")}</p>`);
  return `<!doctype html>\n<html><head><meta charset="utf-8"></head><body>\n${paragraphs.join("\n")}\n</body></html>\n`;
}

/**
 * Checks and shapes one outgoing email.
 * @throws VerityError CHANNEL_REJECTED for a message that is not an email, or an address that is
 *   not one plain address (nothing is sent)
 */
export function emailContent(message: OutboundMessage, provider: string): EmailContent {
  if (message.channel !== "email") {
    throw new VerityError("CHANNEL_REJECTED", { message: `Provider '${provider}' carries email only.` });
  }
  if (!isPlainAddress(message.to)) {
    throw new VerityError("CHANNEL_REJECTED", {
      message: `The registered address ${maskEmail(message.to)} is not one plain email address, so Verity will not put it in a message header. Correct it in the directory, or use another method.`,
    });
  }
  const text = message.text.replace(/\r\n?/g, "\n");
  return { to: message.to, masked: maskEmail(message.to), subject: oneLine(message.subject), text, html: htmlOf(text) };
}
