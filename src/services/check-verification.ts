import { assuranceOf } from "../domain/assurance.js";
import { VerityError } from "../domain/errors.js";
import { hashCode, hashesEqual, normaliseCodeInput } from "../domain/otp.js";
import { statesAccepting, transition, type Verification } from "../domain/verification.js";
import { updateVerificationIf } from "../store/verification-dal.js";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { assertCanAct, type Actor } from "./actor.js";
import type { RecordAudit } from "./audit-service.js";
import { eventBase, loadVerification, type EngineDeps } from "./engine-deps.js";
import { bindingFor, expireIfDue, notOpenError } from "./lifecycle.js";
import { checkFailureLimit } from "./limits.js";
import { providerUserIdFor } from "./targets.js";
import type { TenantRuntime } from "./tenant-registry.js";

export interface CheckResult {
  /** `verified`: it matched; `incorrect`: it did not, checks remain; `rejected`: that was the last check. */
  readonly outcome: "verified" | "incorrect" | "rejected";
  readonly attemptsRemaining: number;
  readonly verification: Verification;
}

const CHECKABLE = statesAccepting("approved");

/**
 * Checks a code the caller read back (or, for passcode methods, asks the provider).
 *
 * The race: two checks of the right code can arrive together (a double click, two instances).
 * Both compute a match, but the consume is one conditional UPDATE that requires the state to be
 * open, the stored hash to be the one we compared against, checks to remain and the deadline not
 * to have passed. The database lets exactly one of them change the row; the other finds it
 * verified and is told the code was already used. A wrong code spends a check by the same kind of
 * update, so parallel guesses cannot exceed the budget either.
 */
export async function checkVerification(deps: EngineDeps, actor: Actor, id: string, rawCode: unknown): Promise<CheckResult> {
  const loaded = await loadVerification(deps, id);
  assertCanAct(actor, loaded);
  const { tenant, binding } = bindingFor(deps, loaded);
  if (binding.spec.kind === "push") throw new VerityError("NOT_A_CODE_METHOD");
  if (binding.spec.kind !== "code" && binding.spec.kind !== "passcode") {
    throw new VerityError("NOT_A_CODE_METHOD", { message: "The caller answers on the page their link opens; there is no code to check." });
  }
  const code =
    binding.spec.kind === "code" ? normaliseCodeInput(rawCode, loaded.codeLength ?? tenant.settings.codeLength) : normalisePasscode(rawCode);
  const v = await expireIfDue(deps, loaded);
  if (!CHECKABLE.includes(v.state)) throw notOpenError(v);
  if (v.attempts >= v.maxAttempts) throw new VerityError("CHECK_LIMIT_REACHED");

  if (binding.spec.kind === "code") {
    const storedHash = v.codeHash;
    if (storedHash === null) throw notOpenError(v);
    const matched = hashesEqual(hashCode(deps.keys.code, v.id, code), storedHash);
    return settle(deps, actor, v, matched, storedHash, null);
  }
  if (!("provider" in binding) || binding.provider.checkPasscode === undefined) {
    throw new VerityError("NOT_A_CODE_METHOD", { message: "This provider cannot check passcodes." });
  }
  const user = await tenant.directory.findUser(v.subjectId);
  if (user === null) throw new VerityError("USER_NOT_FOUND", { message: "The user is no longer in the directory." });
  // The check is spent before the provider sees the guess, so parallel guesses stay in budget; the
  // caller's lockout is checked in the same locked transaction.
  const { result: reservation } = await deps.audit.transaction(async (trx, record) => {
    const locked = await callerLocked(trx, record, deps, actor, v, tenant);
    if (locked !== null) return locked;
    return updateVerificationIf(
      trx,
      v.id,
      { states: CHECKABLE, attemptsBelowMax: true, notExpiredAt: deps.clock.now().toISOString() },
      { updated_at: deps.clock.now().toISOString(), addAttempt: true },
    );
  });
  if (reservation instanceof VerityError) throw reservation;
  if (reservation === undefined) throw await raceLoser(deps, v);
  const reserved = reservation;
  let answer: { valid: boolean; detail?: string };
  try {
    answer = await binding.provider.checkPasscode({
      verificationId: v.id,
      tenantId: v.tenantId,
      user,
      providerUserId: providerUserIdFor(binding.userIdRule, user, binding.spec.provider) ?? user.upn,
      passcode: code,
    });
  } catch (error) {
    await deps.audit.append([{ ...eventBase(reserved, actor), action: "check.provider_error", outcome: "error" }]);
    throw error;
  }
  return settle(deps, actor, reserved, answer.valid, undefined, answer.detail ?? null, true);
}

/** Records one check's result under the guard described above. */
async function settle(
  deps: EngineDeps,
  actor: Actor,
  v: Verification,
  matched: boolean,
  storedHash: string | undefined,
  detail: string | null,
  attemptReserved = false,
): Promise<CheckResult> {
  const now = deps.clock.now().toISOString();
  const addAttempt = !attemptReserved;
  const guard = {
    states: CHECKABLE,
    attemptsBelowMax: addAttempt,
    notExpiredAt: now,
    ...(storedHash === undefined ? {} : { codeHash: storedHash }),
  };
  const tenant = deps.tenants.get(v.tenantId);
  const { result } = await deps.audit.transaction(async (trx, record) => {
    // A reserved check (a provider passcode) was held against the lockout when it was reserved.
    const locked = attemptReserved || tenant === undefined ? null : await callerLocked(trx, record, deps, actor, v, tenant);
    if (locked !== null) return locked;
    if (matched) {
      const after = await updateVerificationIf(trx, v.id, guard, {
        state: transition(v.state, "approved"),
        state_reason: "code_matched",
        code_hash: null,
        completed_at: now,
        updated_at: now,
        addAttempt,
      });
      if (after !== undefined) record({ ...eventBase(after, actor), action: "check.accepted", outcome: "verified", reason: detail, data: { assurance: assuranceOf(after.method, after.challenge) } });
      return after;
    }
    const after = await updateVerificationIf(trx, v.id, guard, { updated_at: now, addAttempt });
    if (after === undefined) return undefined;
    record({
      ...eventBase(after, actor),
      action: "check.incorrect",
      outcome: "incorrect",
      reason: detail,
      data: { attempt: after.attempts, max: after.maxAttempts },
    });
    return after.attempts >= after.maxAttempts ? exhaust(trx, record, after, actor, now) : after;
  });
  if (result instanceof VerityError) throw result;
  if (result === undefined) return Promise.reject(await raceLoser(deps, v));
  deps.bus.publish(result);
  const outcome = result.state === "verified" ? "verified" : result.state === "rejected" ? "rejected" : "incorrect";
  return { outcome, attemptsRemaining: Math.max(0, result.maxAttempts - result.attempts), verification: result };
}

async function exhaust(trx: Kysely<Database>, record: RecordAudit, v: Verification, actor: Actor, now: string): Promise<Verification> {
  const after = await updateVerificationIf(
    trx,
    v.id,
    { states: statesAccepting("attempts_exhausted") },
    {
      state: transition(v.state, "attempts_exhausted"),
      state_reason: "too_many_attempts",
      code_hash: null,
      completed_at: now,
      updated_at: now,
    },
  );
  if (after === undefined) return v;
  record({ ...eventBase(after, actor), action: "verification.rejected", outcome: "rejected", reason: "too_many_attempts" });
  return after;
}

/**
 * The per-caller lockout, checked at every check (not only when a verification starts): wrong
 * answers across all of a caller's verifications and methods count, so twenty verifications buy
 * no more guesses than one. A refused check is audited and spends nothing.
 */
async function callerLocked(
  trx: Kysely<Database>,
  record: RecordAudit,
  deps: EngineDeps,
  actor: Actor,
  v: Verification,
  tenant: TenantRuntime,
): Promise<VerityError | null> {
  const locked = await checkFailureLimit(trx, { tenant, subjectId: v.subjectId, settings: tenant.settings, now: deps.clock.now() });
  if (locked !== null) record({ ...eventBase(v, actor), action: "check.refused", outcome: "refused", reason: locked.code });
  return locked;
}

/** The guarded update missed: say why, from the row as it is now. */
async function raceLoser(deps: EngineDeps, before: Verification): Promise<VerityError> {
  const now = await expireIfDue(deps, await loadVerification(deps, before.id));
  if (!CHECKABLE.includes(now.state)) return notOpenError(now);
  if (now.attempts >= now.maxAttempts) return new VerityError("CHECK_LIMIT_REACHED");
  return new VerityError("VERIFICATION_NOT_PENDING", { message: "A new code was sent meanwhile; check the newest code." });
}

/** Provider passcodes: 6 to 8 digits, spaces allowed between groups. */
function normalisePasscode(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > 64) {
    throw new VerityError("INVALID_CODE_FORMAT", { message: "The passcode must be sent as a string of digits." });
  }
  const compact = raw.trim().replace(/[ -]/g, "");
  if (!/^[0-9]{6,8}$/.test(compact)) {
    throw new VerityError("INVALID_CODE_FORMAT", { message: "A passcode has 6 to 8 digits (0-9)." });
  }
  return compact;
}
