import type { Logger } from "pino";
import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, PushProvider, PushStatus } from "../../../domain/ports.js";
import { certificateExpiry, type VipConfig } from "./vip-config.js";
import { userInfoFrom } from "./vip-describe.js";
import { errorFromStatus, vipWording } from "./vip-errors.js";
import { authenticateUserWithPush, checkOtp, getUserInfo, newRequestId, POLL_BATCH_MAX, pollPushStatus, truncate } from "./vip-requests.js";
import { checkOtpResponseSchema, pollResponseSchema, pushResponseSchema, userInfoResponseSchema, type PollResponse } from "./vip-responses.js";
import { probeVip } from "./vip-probe.js";
import { createVipTransport } from "./vip-transport.js";
import { parseJson } from "../../http/json.js";

export interface VipPushProviderDeps {
  /** The provider's name in the configuration, shown in logs. */
  readonly name: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
}

/** VIP can always check passcodes and describe users, so those members are present. */
export type VipPushProvider = PushProvider & Required<Pick<PushProvider, "checkPasscode" | "describeUser">> & { close(): Promise<void> };

/**
 * VIP has no long poll; a short interval keeps the technician's wait close to the caller's tap.
 * Polls due together go out as one PollPushStatus of up to 20 transactions (the engine wakes its
 * pollers on one shared grid), so the request rate stays four a second per VIP account however
 * many pushes wait.
 */
export const VIP_POLL_INTERVAL_MS = 250;

const TRANSACTION_ID = /^[0-9A-Za-z_]{4,16}$/;
const transactionRefSchema = z.strictObject({ vip: z.literal(1), transactionId: z.string().regex(TRANSACTION_ID) });

/** The opaque reference Verity stores for a push: VIP's transaction id, versioned. */
export const encodeTransactionRef = (transactionId: string): string => JSON.stringify({ vip: 1, transactionId });

/** The transaction id inside a reference, or null when it is not one of ours. */
export function decodeTransactionRef(ref: string): string | null {
  return parseJson(transactionRefSchema, ref)?.transactionId ?? null;
}

const XML_SAFE = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** UserIdType: 1–128 characters. Checked before any request, so a bad mapping never reaches VIP. */
function requireUserId(userId: string): string {
  const length = [...userId].length;
  if (length < 1 || length > 128 || !XML_SAFE.test(userId) || userId.trim() === "") {
    throw new VerityError("VALIDATION_FAILED", {
      message: `A VIP user id must be 1 to 128 printable characters; the tenant's mapping gave ${length === 0 ? "an empty one" : `one of ${length}`}.`,
    });
  }
  return userId;
}

/**
 * Symantec (Broadcom) VIP User Services as a push and passcode provider: AuthenticateUserWithPush
 * then PollPushStatus, CheckOtp for security codes, GetUserInfo to say what a user has. SOAP 1.1
 * with mutual TLS (the VIP certificate).
 *
 * A push is sent once: it is repeated only when the connection was certainly never made. A poll
 * that fails rejects (the engine keeps polling until its deadline); only status 7000 is approval.
 * VIP has no way to withdraw a push, so `cancelPush` resolves without a call. VIP reports no
 * "fraud" answer either; a denial is `denied`. With "Require Number Challenge" on in VIP Manager,
 * VIP returns `numbersChallengeValue`, which becomes the number the technician reads out.
 *
 * @example
 * ```ts
 * const vip = createVipPushProvider(vipConfigSchema.parse(block), { name: "vip", clock: systemClock, log });
 * const { transactionRef } = await vip.startPush(request);
 * const status = await vip.pollPush(transactionRef); // { outcome: "waiting" } … { outcome: "approved" }
 * ```
 */
export function createVipPushProvider(config: VipConfig, deps: VipPushProviderDeps): VipPushProvider {
  const transport = createVipTransport(config, deps);
  const expires = certificateExpiry(config);
  const daysLeft = Math.floor((expires.getTime() - deps.clock.now().getTime()) / 86_400_000);
  if (daysLeft < 30) {
    deps.log.warn({ provider: deps.name, expires: expires.toISOString() }, daysLeft < 0 ? "the VIP certificate has expired" : "the VIP certificate expires within 30 days; renew it in VIP Manager");
  }

  /** One PollPushStatus for up to 20 transactions; each answer is found by its transaction id. */
  const pollBatch = async (transactionIds: readonly string[]): Promise<Map<string, PushStatus | VerityError>> => {
    const response = await transport.call({
      op: "poll",
      url: config.queryUrl,
      body: pollPushStatus(newRequestId(), transactionIds),
      retry: "idempotent",
      responseName: "PollPushStatusResponse",
      schema: pollResponseSchema,
    });
    if (response.status !== "0000") throw errorFromStatus("poll", response.status, response.statusMessage, null);
    const answers = new Map<string, PushStatus | VerityError>();
    for (const id of transactionIds) {
      const entry = response.transactionStatus.find((t) => t.transactionId === id);
      answers.set(id, entry === undefined ? new VerityError("PROVIDER_ERROR", { message: "VIP's poll answer did not mention this push." }) : pushStatusFrom(entry));
    }
    return answers;
  };
  const polls = createPollBatcher(pollBatch);

  return {
    name: deps.name,
    kind: "vip",
    developmentOnly: false,
    pollIntervalMs: VIP_POLL_INTERVAL_MS,

    async startPush(request) {
      const userId = requireUserId(request.providerUserId);
      const response = await transport.call({
        op: "push",
        url: config.authUrl,
        body: authenticateUserWithPush({
          requestId: newRequestId(),
          userId,
          title: truncate(request.title),
          text: truncate(request.message),
          ...(config.profile === undefined ? {} : { profile: config.profile }),
          timeoutSeconds: config.pushTimeoutSeconds ?? Math.max(1, Math.ceil(request.timeoutSeconds)),
        }),
        retry: "not-sent-only",
        responseName: "AuthenticateUserWithPushResponse",
        schema: pushResponseSchema,
      });
      if (response.status !== "6040") throw errorFromStatus("push", response.status, response.statusMessage, userId);
      if (response.transactionId === undefined) {
        throw new VerityError("PROVIDER_ERROR", { message: "VIP said the push was sent but returned no transaction id, so its answer cannot be read. Try again." });
      }
      if (response.pushDetail.length > 0 && response.pushDetail.every((d) => d.pushSent?.trim().toLowerCase() !== "true")) {
        throw new VerityError("PROVIDER_ERROR", {
          message: `VIP accepted the push for "${userId}" but sent it to no device (pushSent false). Check the user's VIP Access app in VIP Manager, or use another method.`,
        });
      }
      const challenge = response.numbersChallengeValue;
      deps.log.debug({ provider: deps.name, transactionId: response.transactionId, numberChallenge: challenge !== undefined }, "VIP push sent");
      return {
        transactionRef: encodeTransactionRef(response.transactionId),
        ...(challenge !== undefined && /^\d{1,3}$/.test(challenge) ? { numberChallenge: challenge } : {}),
      };
    },

    pollPush(transactionRef) {
      const transactionId = decodeTransactionRef(transactionRef);
      if (transactionId === null) return Promise.reject(new VerityError("PROVIDER_ERROR", { message: "That is not a VIP push reference." }));
      return polls.poll(transactionId);
    },

    cancelPush() {
      // None of VIP User Services' operations withdraws a push (the contract test checks the WSDLs).
      return Promise.resolve();
    },

    async checkPasscode(request) {
      const userId = requireUserId(request.providerUserId);
      const otp = request.passcode.trim();
      if (!/^[0-9A-Za-z]{6,10}$/.test(otp)) {
        return { valid: false, detail: "Not a VIP security code: those are 6 digits (some tokens show up to 10 characters)." };
      }
      const response = await transport.call({
        op: "passcode",
        url: config.authUrl,
        body: checkOtp(newRequestId(), userId, otp),
        // A repeat could find the code already spent (VIP codes work once) and count a failure.
        retry: "not-sent-only",
        responseName: "CheckOtpResponse",
        schema: checkOtpResponseSchema,
        secretInRequest: true,
      });
      if (response.status === "0000") return { valid: true, detail: "VIP accepted the security code" };
      if (response.status === "6009") {
        const said = vipWording(response.detailMessage ?? response.statusMessage, otp);
        return { valid: false, detail: `VIP did not accept the security code${said === "" ? "" : ` (${said})`}` };
      }
      throw errorFromStatus("passcode", response.status, response.statusMessage, userId, otp);
    },

    async describeUser(request) {
      const userId = requireUserId(request.providerUserId);
      const response = await transport.call({
        op: "describe",
        url: config.queryUrl,
        body: getUserInfo(newRequestId(), userId),
        retry: "idempotent",
        responseName: "GetUserInfoResponse",
        schema: userInfoResponseSchema,
      });
      if (response.status !== "0000" && response.status !== "6003") throw errorFromStatus("describe", response.status, response.statusMessage, userId);
      return userInfoFrom(userId, response);
    },

    probe: () => probeVip(config, { transport, clock: deps.clock }),

    close: () => transport.close(),
  };
}

type TransactionStatus = PollResponse["transactionStatus"][number];

/**
 * One transaction's status as a push outcome. 7001 waits; 7000 alone approves; 7002 denies;
 * everything else (7004 expired, 7005 not found, 7003 changed, 7006 not completed, 7008, codes
 * VIP adds later) ends the push without approval, with VIP's code and words in the detail.
 */
export function pushStatusFrom(entry: TransactionStatus): PushStatus {
  const said = vipWording(entry.statusMessage);
  switch (entry.status) {
    case "7001":
      return { outcome: "waiting", ...(entry.detail === "7140" ? { detail: "Waiting for the caller to choose the number" } : {}) };
    case "7000":
      return { outcome: "approved", detail: "Approved in VIP Access" };
    case "7002":
      return { outcome: "denied", detail: entry.detail === "7141" ? "The caller chose the wrong number in VIP Access" : "Denied in VIP Access" };
    case "7004":
      return { outcome: "timeout", detail: "The VIP push expired before the caller answered (7004)" };
    default:
      return { outcome: "timeout", detail: `VIP ended the push without an approval (${entry.status}${said === "" ? "" : `: ${said}`})` };
  }
}

/**
 * Gathers the polls asked for in the same turn of the event loop and sends them together, at
 * most POLL_BATCH_MAX per request. A failed request fails each poll in it; the engine retries each.
 */
function createPollBatcher(pollBatch: (ids: readonly string[]) => Promise<Map<string, PushStatus | VerityError>>) {
  let queued: { id: string; resolve(status: PushStatus): void; reject(error: unknown): void }[] = [];
  const flush = () => {
    const all = queued;
    queued = [];
    for (let i = 0; i < all.length; i += POLL_BATCH_MAX) {
      const chunk = all.slice(i, i + POLL_BATCH_MAX);
      pollBatch([...new Set(chunk.map((q) => q.id))]).then(
        (answers) => {
          for (const q of chunk) {
            const answer = answers.get(q.id);
            if (answer instanceof VerityError || answer === undefined) q.reject(answer ?? new VerityError("PROVIDER_ERROR"));
            else q.resolve(answer);
          }
        },
        (error: unknown) => chunk.forEach((q) => q.reject(error)),
      );
    }
  };
  return {
    poll(id: string): Promise<PushStatus> {
      return new Promise<PushStatus>((resolve, reject) => {
        if (queued.length === 0) setImmediate(flush);
        queued.push({ id, resolve, reject });
      });
    },
  };
}
