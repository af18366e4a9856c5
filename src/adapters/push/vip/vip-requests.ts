import { randomBytes } from "node:crypto";
import { element, leaf, type XmlPart } from "./vip-xml.js";

/** The VIP User Services namespace (vipuserservices-1.7.xsd `targetNamespace`). */
export const VIP_NS = "https://schemas.symantec.com/vip/2011/04/vipuserservices";
export const SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/";

/** KeyValuePairType: `Key` at most 125 characters, `Value` at most 250 (vipuserservices-1.7.xsd). */
export const MAX_VALUE_CHARS = 250;

/**
 * A fresh RequestIdType value: 4–40 of `[0-9A-Za-z_]` (no hyphens, so never a raw UUID).
 * 96 random bits make every request traceable in VIP's logs without colliding.
 */
export function newRequestId(): string {
  return `verity_${randomBytes(12).toString("hex")}`;
}

/**
 * `value` cut to at most `max` characters, counted as the schema counts them (code points, so a
 * surrogate pair is never split), ending in "…" when it was cut.
 */
export function truncate(value: string, max = MAX_VALUE_CHARS): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join("")}…`;
}

/** The SOAP 1.1 envelope around one body element, which declares VIP's namespace as its default. */
export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${SOAP_NS}"><S:Body>${body}</S:Body></S:Envelope>`;
}

const request = (name: string, parts: readonly XmlPart[]): string => envelope(element(name, parts, { xmlns: VIP_NS }));

const keyValue = (name: string, key: string, value: string): string => element(name, [leaf("Key", key), leaf("Value", truncate(value))]);

export interface PushRequestFields {
  readonly requestId: string;
  readonly userId: string;
  readonly title: string;
  readonly text: string;
  readonly profile?: string;
  readonly timeoutSeconds: number;
}

/**
 * AuthenticateUserWithPushRequest: requestId, userId, pushAuthData (display parameters, then
 * request parameters), in the schema's order. `push.message.text` is the notification banner
 * (keymaster's client sends it); the title doubles as that banner.
 */
export function authenticateUserWithPush(f: PushRequestFields): string {
  return request("AuthenticateUserWithPushRequest", [
    leaf("requestId", f.requestId),
    leaf("userId", f.userId),
    element("pushAuthData", [
      keyValue("displayParameters", "display.message.title", f.title),
      keyValue("displayParameters", "display.message.text", f.text),
      f.profile !== undefined && keyValue("displayParameters", "display.message.profile", f.profile),
      keyValue("displayParameters", "push.message.text", f.title),
      keyValue("requestParameters", "request.timeout", String(f.timeoutSeconds)),
    ]),
  ]);
}

/** PollPushStatusRequest for 1 to 20 transactions (the schema's bounds). */
export function pollPushStatus(requestId: string, transactionIds: readonly string[]): string {
  if (transactionIds.length < 1 || transactionIds.length > POLL_BATCH_MAX) throw new RangeError(`PollPushStatus takes 1 to ${POLL_BATCH_MAX} transaction ids`);
  return request("PollPushStatusRequest", [leaf("requestId", requestId), ...transactionIds.map((id) => leaf("transactionId", id))]);
}

/** The most transaction ids one PollPushStatusRequest may carry. */
export const POLL_BATCH_MAX = 20;

/** CheckOtpRequest: the security code a user reads from a VIP credential. */
export function checkOtp(requestId: string, userId: string, otp: string): string {
  return request("CheckOtpRequest", [leaf("requestId", requestId), leaf("userId", userId), element("otpAuthData", [leaf("otp", otp)])]);
}

/** GetUserInfoRequest with push attributes, so push-capable credentials can be told apart. */
export function getUserInfo(requestId: string, userId: string): string {
  return request("GetUserInfoRequest", [
    leaf("requestId", requestId),
    leaf("userId", userId),
    leaf("iaInfo", "false"),
    leaf("includePushAttributes", "true"),
  ]);
}

/** GetServerTimeRequest: asks nothing of any user; the harmless call a connection test makes. */
export function getServerTime(requestId: string): string {
  return request("GetServerTimeRequest", [leaf("requestId", requestId)]);
}
