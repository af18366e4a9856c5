import { assuranceOf } from "../domain/assurance.js";
import { setTimeout as sleep } from "node:timers/promises";
import { isVerityError } from "../domain/errors.js";
import type { PushOutcome, PushProvider } from "../domain/ports.js";
import { isTerminal, transition, type Verification } from "../domain/verification.js";
import { randomUUID } from "node:crypto";
import { findVerification, leasePushPoll, listWaitingPushes, releasePushPolls } from "../store/verification-dal.js";
import type { PushTracker } from "./deliver.js";
import { changeVerification, eventBase, type EngineDeps } from "./engine-deps.js";
import { expireIfDue } from "./lifecycle.js";

export interface PushPoller extends PushTracker {
  /**
   * Picks up pushes still waiting in the store that nobody polls: after a restart, or when the
   * instance polling them died (its lease lapsed). Returns how many it took.
   */
  resume(): Promise<number>;
  /** Stops every loop; resolves when they have ended, or after 2 s with long polls still out. */
  stop(): Promise<void>;
  /** How many pushes are being watched now. */
  readonly active: number;
}

const ACTIONS: Record<Exclude<PushOutcome, "waiting">, { event: "approved" | "denied" | "expire" | "fail"; action: string }> = {
  approved: { event: "approved", action: "push.approved" },
  denied: { event: "denied", action: "push.denied" },
  fraud: { event: "denied", action: "push.fraud_reported" },
  timeout: { event: "expire", action: "push.timed_out" },
  failed: { event: "fail", action: "push.failed" },
};

/**
 * A poll error the provider calls permanent (bad credentials, an unknown user) ends the push as
 * failed once it has come back this many times in a row, so the technician learns what to fix
 * instead of waiting for a timeout. Transient errors are retried until the deadline.
 */
const PERMANENT_POLL_FAILURES = 3;

/**
 * One instance polls each waiting push, holding a lease it renews as it polls; another instance
 * (sweeping every few seconds) takes the push over once the lease lapses, so a dead instance's
 * pushes are watched again within about this long.
 */
export const PUSH_LEASE_MS = 20_000;

/**
 * Polls each waiting push until the provider reports an answer or the verification's deadline
 * passes. A poll that fails is logged and retried after a pause; it never counts as an answer,
 * and a permanent error on three polls in a row ends the verification as failed.
 * An answer that arrives after the verification was cancelled or expired changes nothing and is
 * audited as ignored.
 */
export function createPushPoller(deps: EngineDeps, options: { defaultIntervalMs?: number; maxIntervalMs?: number } = {}): PushPoller {
  const loops = new Map<string, Promise<void>>();
  const abort = new AbortController();
  const baseInterval = options.defaultIntervalMs ?? 1000;
  const maxInterval = options.maxIntervalMs ?? 5000;
  const owner = deps.instanceId ?? randomUUID();
  /** Takes or renews the lease on polling `v`; false when another instance holds it. */
  const lease = async (v: Verification, ref: string): Promise<number | null> => {
    const now = deps.clock.now().getTime();
    const until = now + PUSH_LEASE_MS;
    const held = await leasePushPoll(deps.db, { id: v.id, providerRef: ref, owner, now: new Date(now).toISOString(), until: new Date(until).toISOString() });
    return held ? until : null;
  };

  const providerFor = (v: Verification): PushProvider | undefined => {
    const binding = deps.tenants.get(v.tenantId)?.methods.get(v.method);
    return binding !== undefined && "provider" in binding ? binding.provider : undefined;
  };

  const settle = async (v: Verification, outcome: Exclude<PushOutcome, "waiting">, detail: string | null) => {
    const { event, action } = ACTIONS[outcome];
    const now = deps.clock.now().toISOString();
    const state = transition("sent", event);
    const after = await changeVerification(
      deps,
      v.id,
      { states: ["sent"], ...(v.providerRef === null ? {} : { providerRef: v.providerRef }) },
      // A failure's reason is what to fix; an answer's reason is the answer itself.
      { state, state_reason: outcome === "failed" ? (detail ?? "the provider ended the push without an answer") : outcome, completed_at: now, updated_at: now },
      (a) => [{ ...eventBase(a, "system"), action, outcome: state, reason: detail, ...(state === "verified" ? { data: { assurance: assuranceOf(a.method, a.challenge) } } : {}) }],
    );
    if (after !== undefined) return;
    const current = await findVerification(deps.db, v.id);
    if (current !== undefined && (current.state === "cancelled" || current.state === "expired") && outcome !== "timeout" && outcome !== "failed") {
      await deps.audit.append([
        {
          ...eventBase(current, "system"),
          action: "push.answer_ignored",
          outcome,
          reason: `answered '${outcome}' after the verification was ${current.state}`,
        },
      ]);
    }
  };

  const run = async (initial: Verification) => {
    const provider = providerFor(initial);
    const ref = initial.providerRef;
    if (provider === undefined || ref === null) return;
    let interval = provider.pollIntervalMs ?? baseInterval;
    let failures = 0;
    let permanent = 0;
    let leasedUntil = await lease(initial, ref);
    while (!abort.signal.aborted && leasedUntil !== null) {
      const fresh = await findVerification(deps.db, initial.id);
      if (fresh === undefined || fresh.providerRef !== ref || isTerminal(fresh.state)) return;
      const current = await expireIfDue(deps, fresh);
      if (current.state !== "sent") return;
      // Renewed at half-life; lost (another instance took over while we stalled) ends this loop.
      if (leasedUntil - deps.clock.now().getTime() < PUSH_LEASE_MS / 2) {
        leasedUntil = await lease(current, ref);
        if (leasedUntil === null) return;
      }
      try {
        const status = await provider.pollPush(ref);
        // Stopped while the poll was out (a long poll can take a minute): the store may be closed.
        if (abort.signal.aborted) return;
        failures = 0;
        permanent = 0;
        if (status.outcome !== "waiting") {
          await settle(current, status.outcome, status.detail ?? null);
          return;
        }
        interval = status.nextPollAfterMs ?? provider.pollIntervalMs ?? baseInterval;
      } catch (error) {
        if (abort.signal.aborted) return;
        failures += 1;
        permanent = isVerityError(error) && !error.retryable ? permanent + 1 : 0;
        if (permanent >= PERMANENT_POLL_FAILURES && isVerityError(error)) {
          await settle(current, "failed", `Verity stopped waiting: ${error.message}`);
          // The prompt may still be on the phone; an approval of it could no longer be seen.
          await provider.cancelPush(ref).catch(() => undefined);
          return;
        }
        // A provider that names a wait (a 429's reset) gets it; otherwise capped backoff.
        const asked = isVerityError(error) && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
        interval = Math.max(asked, Math.min(maxInterval, baseInterval * 2 ** Math.min(failures, 6)));
        deps.log.warn(
          { verificationId: initial.id, code: isVerityError(error) ? error.code : "UNEXPECTED", failures },
          "push poll failed; will retry until the deadline",
        );
      }
      const now = deps.clock.now().getTime();
      const untilDeadline = Date.parse(current.expiresAt) - now;
      // Between good polls every loop wakes on one shared grid of its interval, so the polls due
      // together reach the provider together (VIP sends them as one request).
      const wait = failures === 0 && interval > 0 ? interval - (now % interval) : interval;
      const planned = Math.max(0, Math.min(wait, untilDeadline));
      const slept = performance.now();
      await sleep(planned, undefined, { signal: abort.signal }).catch(() => undefined);
      if (!abort.signal.aborted) deps.observePollLag?.((performance.now() - slept - planned) / 1000);
    }
  };

  const track = (v: Verification) => {
    const key = `${v.id}:${v.providerRef ?? ""}`;
    if (loops.has(key) || abort.signal.aborted) return;
    const loop = run(v)
      .catch((error: unknown) => deps.log.error({ err: error, verificationId: v.id }, "push polling stopped on an error"))
      .finally(() => loops.delete(key));
    loops.set(key, loop);
  };

  return {
    track,
    async resume() {
      const waiting = (await listWaitingPushes(deps.db, deps.clock.now().toISOString())).filter((v) => !loops.has(`${v.id}:${v.providerRef ?? ""}`));
      waiting.forEach(track);
      return waiting.length;
    },
    async stop() {
      abort.abort();
      // Loops between polls end at once; a loop inside a long poll ends when its provider closes,
      // so shutdown waits at most briefly for it. Polling resumes from the store on the next start.
      await Promise.race([Promise.all(loops.values()), sleep(2000, undefined, { ref: false })]);
      // A clean stop hands its pushes straight to the next instance (or this one, restarted).
      await releasePushPolls(deps.db, owner).catch((error: unknown) => deps.log.warn({ err: error }, "releasing push-poll leases failed"));
    },
    get active() {
      return loops.size;
    },
  };
}
