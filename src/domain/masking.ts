import type { NormalisedPhone } from "./phone.js";

const BULLET = "\u2022";

/**
 * `+44 ••••• ••0123`: the country code and the national layout, every digit but the last four
 * hidden. Enough for a caller to recognise their phone, not enough to dial it.
 */
export function maskPhone(phone: NormalisedPhone): string {
  const total = phone.national.replace(/\D/g, "").length;
  let seen = 0;
  const masked = phone.national.replace(/\d/g, (digit) => {
    seen += 1;
    return seen > total - 4 ? digit : BULLET;
  });
  return `+${phone.callingCode} ${masked}`;
}

/** `j•••@e•••••.net`: first letters of the mailbox and the domain, and the top-level domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return BULLET.repeat(3);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : "";
  return `${local.slice(0, 1)}${BULLET.repeat(3)}@${host.slice(0, 1)}${BULLET.repeat(Math.max(3, Math.min(host.length - 1, 8)))}${tld}`;
}
