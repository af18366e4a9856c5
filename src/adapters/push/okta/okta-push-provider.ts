import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, PushProvider, PushStarted, PushStatus } from "../../../domain/ports.js";
import { createOktaClient } from "../../okta-shared/okta-client.js";
import type { OktaConfig } from "./okta-config.js";
import { rateLimited } from "../../okta-shared/okta-errors.js";
import { describeFactors, passcodeFactor, pushFactor } from "./okta-factors.js";
import { checkOktaPasscode } from "./okta-passcode.js";
import { pollDelayMs, readRateLimit } from "../../okta-shared/okta-rate-limit.js";
import { parseJson } from "../../http/json.js";
import { pushChallengeSchema, pushTransactionSchema } from "./okta-schemas.js";
import { assertFollowable, decodePushRef, encodePushRef, type OktaPushRef } from "./okta-transaction.js";
import { probeOkta } from "./okta-probe.js";
import { createOktaUsers, missingUserText, unknownUser } from "./okta-users.js";

/** Polls at this pace while Okta's rate-limit budget is comfortable, so answers show within a second. */
export const OKTA_POLL_INTERVAL_MS = 750;

export interface OktaPushProviderDeps {
  /** The provider's name in the configuration. */
  readonly name: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
}

/** An Okta provider always describes users and checks passcodes, and holds connections to close. */
export type OktaPushProvider = PushProvider & Required<Pick<PushProvider, "describeUser" | "checkPasscode">> & { close(): Promise<void> };

const OUTCOMES = {
  WAITING: { outcome: "waiting" },
  SUCCESS: { outcome: "approved", detail: "Approved in Okta Verify." },
  REJECTED: { outcome: "denied", detail: "Denied in Okta Verify, or the wrong number was chosen." },
  TIMEOUT: { outcome: "timeout", detail: "The Okta Verify prompt expired without an answer." },
} as const satisfies Record<string, PushStatus>;

/**
 * Okta Verify over the Okta Factors API: a push with number challenge (the technician reads the
 * number to the caller, who picks it in Okta Verify) and passcodes from Okta Verify or Google
 * Authenticator, checked by Okta.
 *
 * The push is `POST /api/v1/users/{uid}/factors/{fid}/verify` with `useNumberMatchingChallenge`;
 * its `_links.poll` and `_links.cancel` are stored as given and followed only while they point at
 * the configured org. Polling slows down as Okta's rate-limit budget runs low (`nextPollAfterMs`)
 * and reports approval only when Okta says SUCCESS: any error rejects.
 *
 * @example
 * ```ts
 * const okta = createOktaPushProvider(oktaConfigSchema.parse(raw), { name: "okta", clock: systemClock, log });
 * const { transactionRef, numberChallenge } = await okta.startPush(request); // "Ask the caller to choose 42"
 * const status = await okta.pollPush(transactionRef); // { outcome: "waiting", nextPollAfterMs?: … }
 * ```
 */
export function createOktaPushProvider(config: OktaConfig, deps: OktaPushProviderDeps): OktaPushProvider {
  const client = createOktaClient(config, deps);
  const users = createOktaUsers(client, deps.clock);

  const resolve = async (providerUserId: string, displayName: string) => {
    const user = await users.find(providerUserId);
    if (user === null) throw unknownUser(providerUserId, displayName);
    return user;
  };

  const cancelAt = async (href: string | undefined, ref: Pick<OktaPushRef, "userId" | "factorId">): Promise<void> => {
    if (href === undefined) return;
    assertFollowable(href, config.orgUrl, ref, "cancel");
    const action = "cancel the Okta Verify push";
    const response = await client.send({ method: "DELETE", url: href, retry: "idempotent", action, scope: "okta.users.manage" });
    // 404: the transaction already ended (answered, expired or cancelled); nothing is left to stop.
    if (response.status >= 300 && response.status !== 404) throw client.failure(response, { action, scope: "okta.users.manage" });
  };

  return {
    name: deps.name,
    kind: "okta",
    developmentOnly: false,
    pollIntervalMs: OKTA_POLL_INTERVAL_MS,

    async describeUser({ providerUserId, user }) {
      const found = await users.find(providerUserId);
      if (found === null) return { exists: false, push: false, passcode: false, devices: [], detail: missingUserText(providerUserId, user.displayName) };
      return describeFactors(await users.factors(found.id), found.status);
    },

    async startPush(request): Promise<PushStarted> {
      const who = request.user.displayName;
      const oktaUser = await resolve(request.providerUserId, who);
      const factor = pushFactor(await users.factors(oktaUser.id));
      if (factor === undefined) {
        throw new VerityError("NO_USABLE_FACTOR", { message: `${who} has no active Okta Verify push enrolment at Okta; use another method or have them enrol Okta Verify.` });
      }
      const action = `send an Okta Verify push to ${request.providerUserId}`;
      const response = await client.send({
        method: "POST",
        url: `${config.orgUrl}/api/v1/users/${encodeURIComponent(oktaUser.id)}/factors/${encodeURIComponent(factor.id)}/verify`,
        ...(config.numberChallenge ? { json: { useNumberMatchingChallenge: true } } : {}),
        retry: "not-sent-only",
        action,
        scope: "okta.users.manage",
        effect: "push",
      });
      if (response.status !== 201 && response.status !== 200) throw client.failure(response, { action, scope: "okta.users.manage" });
      const challenge = parseJson(pushChallengeSchema, response.text);
      if (challenge === undefined) {
        throw new VerityError("PROVIDER_ERROR", { message: "Okta accepted the push but answered in a form Verity cannot read; ask the caller to deny any prompt." });
      }
      const ids = { userId: oktaUser.id, factorId: factor.id };
      const cancel = challenge._links.cancel?.href;
      assertFollowable(challenge._links.poll.href, config.orgUrl, ids, "poll");
      if (cancel !== undefined) assertFollowable(cancel, config.orgUrl, ids, "cancel");
      const ref: OktaPushRef = { v: 1, ...ids, poll: challenge._links.poll.href, ...(cancel === undefined ? {} : { cancel }) };
      const correctAnswer = challenge._embedded?.challenge?.correctAnswer;
      if (config.numberChallenge && correctAnswer === undefined) {
        // An approve-only push is not enough (SECURITY.md A3 item 16), so the prompt is withdrawn.
        await cancelAt(cancel, ids).catch((error: unknown) => deps.log.warn({ err: error, provider: deps.name }, "could not withdraw an Okta push sent without a number challenge"));
        throw new VerityError("PROVIDER_ERROR", {
          message: "Okta sent the push without a number challenge, so Verity withdrew it. The org may lack number matching for the Factors API; an administrator can set numberChallenge: false to accept approve-only pushes knowingly.",
        });
      }
      return { transactionRef: encodePushRef(ref), ...(correctAnswer === undefined ? {} : { numberChallenge: String(correctAnswer) }) };
    },

    async pollPush(transactionRef): Promise<PushStatus> {
      const ref = decodePushRef(transactionRef);
      assertFollowable(ref.poll, config.orgUrl, ref, "poll");
      const action = "poll the Okta Verify push";
      const response = await client.send({ method: "GET", url: ref.poll, retry: "idempotent", action, scope: "okta.users.read" });
      const nowMs = deps.clock.now().getTime();
      if (response.status === 429) throw rateLimited(response, nowMs, action);
      if (response.status === 404) return { outcome: "timeout", detail: "Okta no longer has this push (it was cancelled or expired)." };
      if (response.status !== 200) throw client.failure(response, { action, scope: "okta.users.read" });
      const transaction = parseJson(pushTransactionSchema, response.text);
      if (transaction === undefined) {
        throw new VerityError("PROVIDER_ERROR", { message: "Okta answered the poll in a form Verity cannot read; the push is still treated as unanswered." });
      }
      const status: PushStatus = OUTCOMES[transaction.factorResult];
      if (status.outcome !== "waiting") return status;
      const delay = pollDelayMs(readRateLimit(response.headers, nowMs), OKTA_POLL_INTERVAL_MS);
      return delay === undefined ? status : { ...status, nextPollAfterMs: delay };
    },

    async cancelPush(transactionRef) {
      const ref = decodePushRef(transactionRef);
      await cancelAt(ref.cancel, ref);
    },

    async checkPasscode(request) {
      const who = request.user.displayName;
      const oktaUser = await resolve(request.providerUserId, who);
      const factor = passcodeFactor(await users.factors(oktaUser.id));
      if (factor === undefined) {
        throw new VerityError("NO_USABLE_FACTOR", { message: `${who} has no active Okta Verify or Google Authenticator passcode enrolment at Okta; use another method.` });
      }
      return checkOktaPasscode(client, { userId: oktaUser.id, factorId: factor.id, passcode: request.passcode, who: request.providerUserId });
    },

    probe: () => probeOkta(client, config.auth),

    close: () => client.close(),
  };
}
