import type { ProviderUserInfo, PushContext, PushStatus } from "../../../domain/ports.js";
import type { AuthResult, DuoDevice, Preauth } from "./duo-schemas.js";
import { percentEncode } from "./duo-signing.js";

/** Duo: "The URL-encoded string's total length must be less than 20,000 bytes." */
export const PUSHINFO_MAX_BYTES = 19_999;
const FIELD_MAX = 100;

const BYPASS_DETAIL =
  "Duo lets this user in without a second factor (bypass status, or a policy that allows access without 2FA), so a Duo push or passcode would prove nothing. A Duo administrator must end the bypass; until then use another method.";

/**
 * Masks every digit of a phone-number-like run but the last four, the way Duo shows numbers
 * (`XXX-XXX-0100`). Duo already masks numbers; this keeps a full one out even if it did not.
 */
export function maskDigits(text: string): string {
  return text.replace(/\+?\d[\d\s().-]{3,}\d/g, (run) => {
    let keep = 4;
    const chars = [...run];
    for (let i = chars.length - 1; i >= 0; i -= 1) {
      if (!/\d/.test(chars[i] ?? "")) continue;
      if (keep > 0) keep -= 1;
      else chars[i] = "X";
    }
    return chars.join("");
  });
}

/** Duo's wording, made safe to show and store: one line, masked numbers, bounded length. */
export function safeDuoText(text: string | undefined, max = 200): string | undefined {
  if (text === undefined) return undefined;
  const line = maskDigits(text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim());
  if (line === "") return undefined;
  const chars = [...line];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : line;
}

const canPush = (d: DuoDevice) => d.capabilities.includes("push");
const canPasscode = (d: DuoDevice) => d.capabilities.includes("mobile_otp") || d.capabilities.includes("sms") || d.type === "token";

function deviceLabel(d: DuoDevice): string {
  const name = safeDuoText(d.display_name ?? undefined, 80) ?? safeDuoText(d.name ?? undefined, 80);
  const base = name ?? ([d.type === "token" ? "hardware token" : d.type, safeDuoText(d.number ?? undefined, 40)].filter(Boolean).join(" ") || "device");
  const uses = [canPush(d) ? "push" : null, canPasscode(d) ? "passcode" : null].filter(Boolean);
  return uses.length === 0 ? `${base}: no push or passcode` : `${base}: ${uses.join(" and ")}`;
}

/** The first device that takes pushes, for `device` on /auth; `auto` lets Duo choose. */
export function firstPushDevice(preauth: Preauth): string {
  return preauth.devices.find((d) => canPush(d) && d.device !== undefined)?.device ?? "auto";
}

/**
 * What a /preauth answer means for verification. Only `auth` makes a user usable: `allow` is a
 * bypass (nothing would be proved), `deny` is refused by Duo, `enroll` has no device yet (the
 * enrollment link is Duo's to send, never the technician's to pass on).
 */
export function userInfoFrom(preauth: Preauth): ProviderUserInfo {
  const said = safeDuoText(preauth.status_msg);
  switch (preauth.result) {
    case "auth": {
      const push = preauth.devices.some(canPush);
      const passcode = preauth.devices.some(canPasscode);
      return {
        exists: true,
        push,
        passcode,
        devices: preauth.devices.map(deviceLabel),
        detail: push && passcode ? null : noFactorDetail(push, passcode),
      };
    }
    case "allow":
      return { exists: true, push: false, passcode: false, devices: [], detail: BYPASS_DETAIL };
    case "deny":
      return {
        exists: true,
        push: false,
        passcode: false,
        devices: [],
        detail: `Duo denies this user${said === undefined ? "" : ` ("${said}")`}: the account may be disabled or locked out, or a Duo policy refuses it. A Duo administrator must look at the user; meanwhile use another method.`,
      };
    case "enroll":
      return {
        exists: false,
        push: false,
        passcode: false,
        devices: [],
        detail: "The user has not enrolled a device in Duo, so there is nothing to push to or take a passcode from. They must enroll through their organisation's usual Duo process; use another method now.",
      };
  }
}

function noFactorDetail(push: boolean, passcode: boolean): string {
  if (!push && !passcode) return "None of the user's Duo devices can take a push or give a passcode.";
  return push ? "None of the user's Duo devices gives passcodes (Duo Mobile, a hardware token or SMS passcodes)." : "None of the user's Duo devices takes pushes (Duo Mobile).";
}

/** Maps an /auth_status answer. Only `allow` with a status other than `bypass` is an approval. */
export function pushStatusFrom(answer: AuthResult): PushStatus {
  const said = safeDuoText(answer.status_msg);
  if (answer.result === "waiting") return { outcome: "waiting", nextPollAfterMs: 0, ...(said === undefined ? {} : { detail: said }) };
  if (answer.result === "allow") {
    return answer.status === "bypass" ? { outcome: "failed", detail: BYPASS_DETAIL } : { outcome: "approved", detail: "Approved in Duo Mobile" };
  }
  switch (answer.status) {
    case "fraud":
      return { outcome: "fraud", detail: "The caller marked the push as fraudulent in Duo Mobile" };
    case "timeout":
      return { outcome: "timeout", detail: "Nobody answered the push before Duo gave up on it" };
    case "locked_out":
      return { outcome: "failed", detail: "Duo has locked this user out after too many failures; a Duo administrator can unlock them" };
    case "deny":
      return { outcome: "denied", detail: "Denied in Duo Mobile" };
    default:
      return { outcome: "denied", detail: said === undefined ? "Duo denied the push" : `Duo denied the push: ${said}` };
  }
}

/** Maps a synchronous passcode answer; a bypass never counts as a valid passcode. */
export function passcodeResultFrom(answer: AuthResult, passcode: string): { valid: boolean; detail: string } {
  if (answer.result === "allow" && answer.status !== "bypass") return { valid: true, detail: "Duo accepted the passcode" };
  if (answer.result === "allow") return { valid: false, detail: BYPASS_DETAIL };
  if (answer.status === "locked_out") return { valid: false, detail: "Duo has locked this user out after too many failures" };
  const said = safeDuoText(answer.status_msg?.split(passcode).join("[passcode]"));
  return { valid: false, detail: said === undefined ? "Duo refused the passcode" : `Duo refused the passcode: ${said}` };
}

/** The Verified Push code: from /preauth if Duo gives it there (UNCONFIRMED), else from a status message. */
export function verificationCodeFrom(preauth: Preauth | undefined, statusMsg: string | undefined): string | undefined {
  const direct = preauth?.verification_code;
  if (direct !== undefined && /^\d{2,8}$/.test(String(direct))) return String(direct);
  return /verification code (\d{2,8})\b/i.exec(statusMsg ?? "")?.[1];
}

const firstName = (name: string): string => (/service desk/i.test(name) ? name.trim() : (name.trim().split(/\s+/)[0] ?? name));

const clip = (text: string, max: number): string => {
  const chars = [...text.trim()];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : chars.join("");
};

const encodePairs = (pairs: readonly (readonly [string, string])[]): string =>
  pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");

/**
 * The `pushinfo` Duo Mobile lists under the prompt: organisation, technician (first name only,
 * as in the tenant's wording), ticket and the prompt's text, URL-encoded as `k=v&k=v`. The
 * message is shortened until the whole string is under Duo's 20,000-byte limit.
 */
export function buildPushinfo(context: PushContext, message: string): string {
  const pairs: [string, string][] = [
    ["Organisation", clip(context.organisation, FIELD_MAX)],
    ["Technician", clip(firstName(context.technician), FIELD_MAX)],
    ...(context.ticket === null || context.ticket.trim() === "" ? [] : [["Ticket", clip(context.ticket, FIELD_MAX)] as [string, string]]),
  ];
  const fits = (text: string) => Buffer.byteLength(encodePairs([...pairs, ["Message", text]]), "utf8") <= PUSHINFO_MAX_BYTES;
  const chars = [...message.trim()];
  if (fits(chars.join(""))) return encodePairs([...pairs, ["Message", chars.join("")]]);
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(`${chars.slice(0, mid).join("")}…`)) low = mid;
    else high = mid - 1;
  }
  return encodePairs([...pairs, ["Message", `${chars.slice(0, low).join("")}…`]]);
}
