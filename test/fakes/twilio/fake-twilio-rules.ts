import { randomBytes } from "node:crypto";

/** One Twilio account the fake knows, with the credentials that may act for it. */
export interface FakeTwilioAccount {
  readonly sid: string;
  readonly authToken: string;
  readonly apiKeys: readonly { readonly sid: string; readonly secret: string }[];
  /** SMS-capable numbers the account owns; `From` must be one of them. */
  readonly senders: readonly string[];
  /** Messaging Services of the account; `MessagingServiceSid` must be one of them. */
  readonly messagingServices: readonly string[];
  /** Numbers the account owns that cannot send SMS (voice only). */
  readonly voiceOnly?: readonly string[];
}

/** Destinations that make Twilio refuse a send, each with its documented error. */
export interface FakeTwilioDestinationRules {
  /** Recipients who replied STOP: 21610. */
  readonly optedOut: Set<string>;
  /** Numbers Twilio knows are landlines: 21614. */
  readonly landlines: Set<string>;
  /** Prefixes such as `+44` outside the account's Geo Permissions: 21408. */
  readonly blockedPrefixes: Set<string>;
  /** Numbers Twilio cannot route to from this account's senders: 21612. */
  readonly unroutable: Set<string>;
}

export interface TwilioErrorReply {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

/** What a valid create request asks for. */
export interface CreateRequest {
  readonly to: string;
  readonly from: string | null;
  readonly messagingServiceSid: string | null;
  readonly body: string;
  readonly statusCallback: string | null;
  readonly validityPeriod: number | null;
}

/** A fresh SID: two letters and 32 lowercase hex digits, as Twilio issues them. */
export const fakeSid = (prefix: string): string => `${prefix}${randomBytes(16).toString("hex")}`;

export const twilioError = (status: number, code: number, message: string): TwilioErrorReply => ({ status, code, message });

const E164 = /^\+[1-9]\d{1,14}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/**
 * Applies Twilio's documented checks to a create-Message form, in the order Twilio reports them.
 * Its error messages quote the number the way Twilio's do, so tests can prove Verity never
 * repeats them. Codes 21602, 21603, 21604 and 21617 come from Twilio's error dictionary as
 * remembered (UNCONFIRMED); 21609, 90007 and 90014 were read in it.
 */
export function checkCreateForm(
  form: URLSearchParams,
  account: FakeTwilioAccount,
  rules: FakeTwilioDestinationRules,
): CreateRequest | TwilioErrorReply {
  const to = form.get("To");
  const from = form.get("From");
  const service = form.get("MessagingServiceSid");
  const body = form.get("Body");
  const callback = form.get("StatusCallback");
  const validity = form.get("ValidityPeriod");

  if (to === null || to === "") return twilioError(400, 21604, "A 'To' phone number is required.");
  if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (from === null && service === null) return twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
  if (from !== null && !E164.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
    return twilioError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
  }
  if (from !== null && E164.test(from) && !account.senders.includes(from)) {
    return twilioError(400, 21606, `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`);
  }
  if (service !== null && !account.messagingServices.includes(service)) {
    return twilioError(400, 21701, `The Messaging Service Sid ${service} is invalid.`);
  }
  if (body === null || body === "") return twilioError(400, 21602, "Message body is required.");
  if ([...body].length > 1600) return twilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
  if (callback !== null && !validCallbackUrl(callback)) return twilioError(400, 21609, `The StatusCallback URL ${callback} is not a valid URL.`);
  let validityPeriod: number | null = null;
  if (validity !== null) {
    if (!/^\d+$/.test(validity)) return twilioError(400, 90014, "Validity Period should be positive integer.");
    validityPeriod = Number(validity);
    if (validityPeriod < 1 || validityPeriod > 36_000) return twilioError(400, 90007, "Invalid validity period value.");
  }

  const blocked = [...rules.blockedPrefixes].find((prefix) => to.startsWith(prefix));
  if (blocked !== undefined) {
    return twilioError(400, 21408, `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`);
  }
  if (rules.landlines.has(to)) return twilioError(400, 21614, `'To' number ${to} is not a valid mobile number.`);
  if (rules.unroutable.has(to)) return twilioError(400, 21612, `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number via SMS.`);
  if (rules.optedOut.has(to)) return twilioError(400, 21610, `Attempt to send to unsubscribed recipient ${to}.`);

  return { to, from, messagingServiceSid: service, body, statusCallback: callback, validityPeriod };
}

/** "A valid hostname and underscores are not allowed", at most 4000 characters, http(s) only. */
function validCallbackUrl(value: string): boolean {
  if (value.length > 4000) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" && !url.hostname.includes("_");
}

const GSM7 = /^[A-Za-z0-9 \n\r@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/;

/** Segments a body takes: 160/153 GSM-7 characters, or 70/67 UCS-2 characters, per segment. */
export function segmentCount(body: string): number {
  const length = [...body].length;
  const [single, multi] = GSM7.test(body) ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / multi);
}

/** RFC 2822 as Twilio writes it: `Thu, 24 Aug 2023 05:01:45 +0000`. */
export const rfc2822 = (date: Date): string => date.toUTCString().replace(/GMT$/, "+0000");
