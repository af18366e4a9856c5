import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, PushProvider, PushRequest, PushStarted, PushStatus } from "../../../domain/ports.js";
import type { RetryMode } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import { createDuoClient, type DuoClientDeps } from "./duo-client.js";
import type { DuoConfig } from "./duo-config.js";
import { buildPushinfo, firstPushDevice, passcodeResultFrom, pushStatusFrom, userInfoFrom, verificationCodeFrom } from "./duo-mapping.js";
import { asyncAuthSchema, authResultSchema, checkSchema, preauthSchema, type Preauth } from "./duo-schemas.js";

export interface DuoPushProviderDeps {
  /** The provider's name in the configuration, shown in logs and errors. */
  readonly name: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
  readonly retry?: DuoClientDeps["retry"];
}

export type DuoPushProvider = PushProvider & Required<Pick<PushProvider, "describeUser" | "checkPasscode">> & {
  /**
   * Calls `/auth/v2/check`: proves the keys, the API host and the signature, and measures how far
   * this server's clock is from Duo's (signatures carry the Date).
   */
  checkCredentials(): Promise<{ readonly serverTime: Date; readonly skewSeconds: number }>;
  close(): Promise<void>;
};

/** A long poll answered "waiting" faster than this, twice with the same status, is not holding. */
const MIN_HOLD_MS = 100;
const NOT_HOLDING_BACKOFF_MS = 1000;
const REMEMBERED_POLLS = 1000;

/**
 * Push and passcode verification over the Duo Auth API.
 *
 * - `describeUser`: `/preauth`; only `auth` makes a user usable (bypass proves nothing).
 * - `startPush`: `/auth` with `factor=push`, `async=1`, the configured `type`, the caller's
 *   display name and a `pushinfo` naming the organisation, technician and ticket; the txid is the
 *   transaction reference. With `verifiedPush`, a `/preauth` first yields the Verified Push txid,
 *   and the code the caller must type is returned as `numberChallenge` when Duo discloses it.
 * - `pollPush`: `/auth_status`, a long poll that returns when the push changes (`pollIntervalMs`
 *   0). Errors reject; they never read as an answer.
 * - `cancelPush`: Duo has no way to withdraw a push; it resolves and the push times out on its own.
 * - `checkPasscode`: `/auth` with `factor=passcode`.
 *
 * @example
 * ```ts
 * const duo = createDuoPushProvider(duoConfigSchema.parse(raw), { name: "duo", clock: systemClock, log });
 * const { transactionRef } = await duo.startPush(request);
 * const status = await duo.pollPush(transactionRef); // returns when the caller answers, or "waiting"
 * ```
 */
export function createDuoPushProvider(config: DuoConfig, deps: DuoPushProviderDeps): DuoPushProvider {
  const client = createDuoClient(config, { clock: deps.clock, log: deps.log, ...(deps.retry === undefined ? {} : { retry: deps.retry }) });

  const checkCredentials = async () => {
    const before = deps.clock.now().getTime();
    const { time } = await client.call({ method: "GET", path: "/auth/v2/check", params: {}, retry: "idempotent", label: "check the credentials" }, checkSchema);
    const after = deps.clock.now().getTime();
    return { serverTime: new Date(time * 1000), skewSeconds: Math.round(((before + after) / 2 - time * 1000) / 1000) };
  };
  const lastWaiting = new Map<string, string>();

  // Only a push announces Verified Push support: that preauth's txid is spent by the /auth after it.
  const preauth = (username: string, label: string, verified: boolean): Promise<Preauth> =>
    client.call(
      {
        method: "POST",
        path: "/auth/v2/preauth",
        params: { username, ...(verified ? { client_supports_verified_push: "1" } : {}) },
        retry: "idempotent",
        label,
      },
      preauthSchema,
    );

  const authStatus = (txid: string, timeoutMs: number, retry: RetryMode = "idempotent") =>
    client.call(
      { method: "GET", path: "/auth/v2/auth_status", params: { txid }, retry, timeoutMs, label: "read the push's status" },
      authResultSchema,
    );

  const remember = (txid: string, status: string | null) => {
    lastWaiting.delete(txid);
    if (status === null) return;
    lastWaiting.set(txid, status);
    if (lastWaiting.size > REMEMBERED_POLLS) lastWaiting.delete(lastWaiting.keys().next().value ?? "");
  };

  /**
   * The Verified Push code rides on the first status update; reading it here spends that update.
   * One bounded try: should Duo hold this poll instead, the push goes on without a code.
   */
  const readVerificationCode = async (txid: string, verified: Preauth): Promise<string | undefined> => {
    const direct = verificationCodeFrom(verified, undefined);
    if (direct !== undefined) return direct;
    try {
      const first = await authStatus(txid, config.timeoutMs, "none");
      if (first.result === "waiting") remember(txid, first.status ?? "");
      return verificationCodeFrom(undefined, first.status_msg);
    } catch (error) {
      deps.log.warn({ provider: deps.name, txid, code: error instanceof VerityError ? error.code : "UNEXPECTED" }, "could not read the Verified Push code");
      return undefined;
    }
  };

  return {
    name: deps.name,
    kind: "duo",
    developmentOnly: false,
    pollIntervalMs: 0,

    async describeUser(request) {
      return userInfoFrom(await preauth(request.providerUserId, "look the user up", false));
    },

    async startPush(request: PushRequest): Promise<PushStarted> {
      let verified: Preauth | undefined;
      if (config.verifiedPush) {
        verified = await preauth(request.providerUserId, "prepare the push", true);
        const info = userInfoFrom(verified);
        if (!info.push) throw new VerityError("NO_USABLE_FACTOR", { message: info.detail ?? "The user has no Duo device that takes pushes." });
      }
      const { txid } = await client.call(
        {
          method: "POST",
          path: "/auth/v2/auth",
          params: {
            username: request.providerUserId,
            factor: "push",
            device: verified === undefined ? "auto" : firstPushDevice(verified),
            async: "1",
            type: config.pushType,
            display_username: request.user.displayName,
            pushinfo: buildPushinfo(request.context, request.message),
            ...(verified?.txid === undefined ? {} : { txid: verified.txid }),
          },
          retry: "not-sent-only",
          label: "send the push",
          mayHavePushed: true,
        },
        asyncAuthSchema,
      );
      deps.log.debug({ provider: deps.name, verificationId: request.verificationId, txid, verified: verified?.txid !== undefined }, "Duo push sent");
      if (verified?.txid === undefined) return { transactionRef: txid };
      const code = await readVerificationCode(txid, verified);
      if (code === undefined) deps.log.warn({ provider: deps.name, txid }, "Duo did not disclose the Verified Push code");
      return code === undefined ? { transactionRef: txid } : { transactionRef: txid, numberChallenge: code };
    },

    async pollPush(transactionRef): Promise<PushStatus> {
      const started = performance.now();
      const answer = await authStatus(transactionRef, config.longPollTimeoutMs);
      const status = pushStatusFrom(answer);
      if (status.outcome !== "waiting") {
        remember(transactionRef, null);
        return status;
      }
      const previous = lastWaiting.get(transactionRef);
      const current = answer.status ?? "";
      remember(transactionRef, current);
      // Something in front of Duo that answers at once would otherwise make this a busy loop.
      const notHolding = previous === current && performance.now() - started < MIN_HOLD_MS;
      return notHolding ? { ...status, nextPollAfterMs: NOT_HOLDING_BACKOFF_MS } : status;
    },

    cancelPush(transactionRef) {
      remember(transactionRef, null);
      return Promise.resolve();
    },

    async checkPasscode(request) {
      const answer = await client.call(
        {
          method: "POST",
          path: "/auth/v2/auth",
          params: { username: request.providerUserId, factor: "passcode", passcode: request.passcode },
          // A passcode is single-use: a repeat after an ambiguous failure could spend it and read as "wrong".
          retry: "not-sent-only",
          label: "check the passcode",
        },
        authResultSchema,
      );
      return passcodeResultFrom(answer, request.passcode);
    },

    checkCredentials,

    probe: () =>
      probeWith(async () => {
        const { skewSeconds } = await checkCredentials();
        const off = Math.abs(skewSeconds);
        const clock = off < 60 ? "" : ` This server's clock is ${off} s ${skewSeconds > 0 ? "ahead of" : "behind"} Duo's: fix it (NTP) before Duo starts refusing the signed Date.`;
        return `Duo accepted the integration key and the signed request for ${config.apiHost} (/auth/v2/check). Nothing was sent.${clock}`;
      }),

    close: () => client.close(),
  };
}
