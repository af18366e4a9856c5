import { errorBody } from "./fake-twilio-resource.js";
import { twilioError, type FakeTwilioAccount } from "./fake-twilio-rules.js";

const NUMBERS_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers\.json$/;
const SERVICE_PATH = /^\/v1\/Services\/([^/]+)$/;

export interface FakeReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

const unauthenticated: FakeReply = { status: 401, body: errorBody(twilioError(401, 20003, "Authenticate")), headers: { "www-authenticate": 'Basic realm="Twilio API"' } };
const notFound = (path: string): FakeReply => ({ status: 404, body: errorBody(twilioError(404, 20404, `The requested resource ${path} was not found`)) });

/**
 * The account reads Verity's connection test makes: the IncomingPhoneNumbers list (filtered by
 * `PhoneNumber`, as Twilio's list endpoint is) and a Messaging Service fetch, which Twilio serves
 * from messaging.twilio.com. Every sender is SMS-capable unless listed in the account's
 * `voiceOnly`. Null for any other path.
 */
export function accountRead(method: string, path: string, query: string, account: FakeTwilioAccount | undefined): FakeReply | null {
  const numbers = NUMBERS_PATH.exec(path);
  const service = SERVICE_PATH.exec(path);
  if (numbers === null && service === null) return null;
  if (account === undefined) return unauthenticated;
  if (method !== "GET") return { status: 405, body: errorBody(twilioError(405, 20004, "Method not allowed")) };
  if (service !== null) {
    const sid = service[1] ?? "";
    if (!account.messagingServices.includes(sid)) return notFound(path);
    return { status: 200, body: { sid, account_sid: account.sid, friendly_name: "Verity codes", inbound_method: "POST", usecase: "notifications", url: `https://messaging.twilio.com/v1/Services/${sid}` } };
  }
  if (numbers?.[1] !== account.sid) return notFound(path);
  const wanted = new URLSearchParams(query).get("PhoneNumber");
  const owned = [...account.senders, ...(account.voiceOnly ?? [])].filter((n) => wanted === null || n === wanted);
  const uri = `${path}?PageSize=50&Page=0`;
  return {
    status: 200,
    body: {
      incoming_phone_numbers: owned.map((n) => ({
        account_sid: account.sid,
        phone_number: n,
        friendly_name: n,
        capabilities: { fax: false, mms: false, sms: !(account.voiceOnly ?? []).includes(n), voice: true },
        status: "in-use",
      })),
      end: owned.length - 1,
      first_page_uri: uri,
      next_page_uri: null,
      page: 0,
      page_size: 50,
      previous_page_uri: null,
      start: 0,
      uri,
    },
  };
}
