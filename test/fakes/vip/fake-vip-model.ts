import { randomBytes, randomInt } from "node:crypto";

export type FakeCredentialType = "STANDARD_OTP" | "SMS_OTP" | "VOICE_OTP";
export type FakeUserStatus = "ACTIVE" | "LOCKED" | "DISABLED";

export interface FakeCredentialInit {
  /** Default: SYMC… for a mobile app, VSST… for a desktop one, a phone number for SMS/voice. */
  readonly id?: string;
  readonly type?: FakeCredentialType;
  /** The VIP Access app with push turned on (VIP lists PUSH_ENABLED=true for it). */
  readonly push?: boolean;
  readonly platform?: "IPHONE" | "ANDROID";
  readonly friendlyName?: string;
  readonly status?: "ENABLED" | "DISABLED" | "LOCKED";
}

/**
 * How the person holding the phone answers pushes. VIP's app offers Approve and Deny only: there
 * is no "report fraud" answer in VIP's published statuses, so the fake has none. `wrong-number`
 * picks the wrong number when number challenge is on (7002 with detail 7141).
 */
export type CallerScript =
  | { readonly answer: "approve" | "deny" | "wrong-number"; readonly afterMs?: number }
  | { readonly answer: "ignore" };

export interface FakeVipUserInit {
  readonly status?: FakeUserStatus;
  readonly credentials?: readonly FakeCredentialInit[];
  /** Default: approve after 30 ms. */
  readonly caller?: CallerScript;
}

export interface FakeCredential {
  readonly id: string;
  readonly type: FakeCredentialType;
  readonly push: boolean;
  readonly platform: "IPHONE" | "ANDROID" | null;
  readonly friendlyName: string | null;
  readonly status: "ENABLED" | "DISABLED" | "LOCKED";
  readonly boundAt: Date;
}

export interface FakeVipUser {
  readonly userId: string;
  status: FakeUserStatus;
  readonly credentials: FakeCredential[];
  caller: CallerScript;
  readonly createdAt: Date;
  /** Security codes issued by `validOtp` and not used yet. */
  readonly validOtps: Set<string>;
  failedChecks: number;
}

export type TransactionState = "pending" | "approved" | "denied" | "wrong-number";

/** A push the fake "sent", with what the phone would show. */
export interface FakeTransaction {
  readonly transactionId: string;
  readonly userId: string;
  readonly credentialId: string;
  readonly displayParameters: Readonly<Record<string, string>>;
  readonly requestParameters: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly createdAt: number;
  readonly challenge: string | null;
  state: TransactionState;
  answeredAt: number | null;
}

/** Users most tests can share: one of each kind a service desk meets. */
export const DEFAULT_VIP_USERS: Readonly<Record<string, FakeVipUserInit>> = {
  jdoe: { credentials: [{ push: true, platform: "IPHONE", friendlyName: "Jane's iPhone" }] },
  "otp.only": { credentials: [{ id: "VSST43994978", friendlyName: "VIP Access for Mac" }] },
  "sms.only": { credentials: [{ type: "SMS_OTP", id: "447700900123" }] },
  "no.credentials": { credentials: [] },
  "locked.user": { status: "LOCKED", credentials: [{ push: true, platform: "ANDROID" }] },
};

const digits = (n: number) => Array.from({ length: n }, () => String(randomInt(0, 10))).join("");

export function createUser(userId: string, init: FakeVipUserInit): FakeVipUser {
  const now = new Date();
  return {
    userId,
    status: init.status ?? "ACTIVE",
    caller: init.caller ?? { answer: "approve", afterMs: 30 },
    createdAt: now,
    validOtps: new Set(),
    failedChecks: 0,
    credentials: (init.credentials ?? []).map((c) => {
      const type = c.type ?? "STANDARD_OTP";
      const id = c.id ?? (type === "STANDARD_OTP" ? `${c.push === true ? "SYMC" : "VSST"}${digits(8)}` : `44${digits(10)}`);
      return {
        id,
        type,
        push: c.push === true,
        platform: c.platform ?? null,
        friendlyName: c.friendlyName ?? null,
        status: c.status ?? "ENABLED",
        boundAt: now,
      };
    }),
  };
}

/** VIP's transaction ids look like 16 lower-case hex digits (keymaster and Soteria samples). */
export const newTransactionId = (): string => randomBytes(8).toString("hex");

/** A fresh six-digit security code. */
export const newOtp = (): string => digits(6);

/** A two-digit number for number challenge. */
export const newChallenge = (): string => String(randomInt(10, 100));

/** Status words as VIP writes them (Broadcom's status tables and recorded answers). */
export const STATUS_MESSAGES: Readonly<Record<string, string>> = {
  "0000": "Success",
  "6003": "User does not exist.",
  "6005": "Internal error.",
  "6008": "User does not have any enabled credential for the given credential type.",
  "6009": "Authentication failed.",
  "600B": "Schema validation failed.",
  "600D": "Operation not allowed in current state of credential.",
  "601B": "Operation not allowed in current user status.",
  "6040": "Mobile push request sent",
  "7000": "Mobile push request approved by user",
  "7001": "Mobile push request in progress",
  "7002": "Mobile push request denied by user",
  "7004": "Mobile push request expired",
  "7005": "Mobile push request not found",
};
