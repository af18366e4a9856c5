import { fakeSid, rfc2822, segmentCount, type FakeTwilioAccount, type TwilioErrorReply } from "./fake-twilio-rules.js";

/** A Message resource as the fake holds it; `messageResource()` gives Twilio's JSON for it. */
export interface FakeMessage {
  readonly sid: string;
  readonly accountSid: string;
  readonly to: string;
  from: string | null;
  readonly messagingServiceSid: string | null;
  readonly body: string;
  readonly statusCallback: string | null;
  readonly validityPeriod: number | null;
  status: string;
  errorCode: number | null;
  readonly dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
}

/** The JSON Twilio returns for a message on create (201) and fetch (200), shaped like the spec's example. */
export function messageResource(m: FakeMessage): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: "2010-04-01",
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent === null ? null : rfc2822(m.dateSent),
    date_updated: rfc2822(m.dateUpdated),
    direction: "outbound-api",
    error_code: m.errorCode,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: "0",
    // Twilio reports 0 segments for a Messaging Service message until a sender is chosen.
    num_segments: m.from === null ? "0" : String(segmentCount(m.body)),
    price: null,
    price_unit: null,
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace(/\.json$/, "/Media.json") },
    to: m.to,
    uri,
  };
}

/** Twilio's error body. */
export const errorBody = (e: TwilioErrorReply): Record<string, unknown> => ({
  code: e.code,
  message: e.message,
  more_info: `https://www.twilio.com/docs/errors/${e.code}`,
  status: e.status,
});

/** Fills in an account's missing parts with fresh SIDs and secrets. */
export function completeAccount(partial: Partial<FakeTwilioAccount>): FakeTwilioAccount {
  return {
    sid: partial.sid ?? fakeSid("AC"),
    authToken: partial.authToken ?? fakeSid("").slice(0, 32),
    apiKeys: partial.apiKeys ?? [{ sid: fakeSid("SK"), secret: fakeSid("").slice(0, 32) }],
    senders: partial.senders ?? ["+15005550006"],
    messagingServices: partial.messagingServices ?? [fakeSid("MG")],
    ...(partial.voiceOnly === undefined ? {} : { voiceOnly: partial.voiceOnly }),
  };
}

/** The account a Basic `Authorization` header acts for: its Auth Token, or one of its API keys. */
export function authenticate(accounts: readonly FakeTwilioAccount[], header: string | undefined): FakeTwilioAccount | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "");
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return accounts.find(
    (a) => (a.sid === user && a.authToken === password) || a.apiKeys.some((k) => k.sid === user && k.secret === password),
  );
}
