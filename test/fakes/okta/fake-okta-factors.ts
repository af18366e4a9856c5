import { randomBytes, randomInt } from "node:crypto";
import { challengeResource, oktaError, type OktaErrorReply } from "./fake-okta-resources.js";
import type { FakeCaller, FakeOktaFactor, FakeOktaUser, FakeTransaction } from "./fake-okta-types.js";

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const asReply = (e: OktaErrorReply): Reply => e;

/**
 * `POST …/factors/{factorId}/verify` for the factors the fake supports: a push (201 WAITING with
 * poll and cancel links, plus the number when number matching was asked for and the org has it)
 * and a software TOTP (`passCode`: 200 SUCCESS, or 403 E0000068 for a wrong code).
 */
export function verifyFactor(input: {
  readonly user: FakeOktaUser;
  readonly factor: FakeOktaFactor;
  readonly rawBody: string;
  readonly userAgent: string | undefined;
  readonly now: number;
  readonly pushLifetimeMs: number;
  readonly numberChallenge: boolean;
  readonly links: string;
  readonly transactions: FakeTransaction[];
}): Reply {
  const { factor } = input;
  let body: Record<string, unknown> = {};
  if (input.rawBody.trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(input.rawBody);
      if (parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed))) return asReply(oktaError(400, "E0000003", "The request body was not well-formed."));
      body = (parsed ?? {}) as Record<string, unknown>;
    } catch {
      return asReply(oktaError(400, "E0000003", "The request body was not well-formed."));
    }
  }
  if (factor.status !== "ACTIVE") return asReply(oktaError(400, "E0000001", "Api validation failed: factor", ["The factor is not active."]));
  if (factor.factorType === "push") {
    if (input.userAgent === undefined || input.userAgent.trim() === "") {
      return asReply(oktaError(400, "E0000001", "Api validation failed: User-Agent", ["A User-Agent header is required to verify a push factor."]));
    }
    const wantsNumber = body.useNumberMatchingChallenge;
    if (wantsNumber !== undefined && typeof wantsNumber !== "boolean") {
      return asReply(oktaError(400, "E0000001", "Api validation failed: useNumberMatchingChallenge", ["useNumberMatchingChallenge must be a boolean."]));
    }
    const tx: FakeTransaction = {
      id: `v2mst.${randomBytes(16).toString("base64url")}`,
      userId: input.user.id,
      factorId: factor.id,
      createdAt: input.now,
      expiresAt: input.now + input.pushLifetimeMs,
      correctAnswer: wantsNumber === true && input.numberChallenge ? randomInt(10, 100) : null,
      userAgent: input.userAgent,
      result: "WAITING",
      picked: null,
      cancelled: false,
    };
    input.transactions.push(tx);
    return { status: 201, body: challengeResource(tx, input.links) };
  }
  if (factor.factorType === "token:software:totp") {
    const passCode = body.passCode;
    if (typeof passCode !== "string" || passCode === "") {
      return asReply(oktaError(403, "E0000068", "Invalid Passcode/Answer", ["Your passcode doesn't match our records. Please try again."]));
    }
    if (factor.usedPassCodes.has(passCode)) {
      return asReply(oktaError(403, "E0000082", "Each code can only be used once. Please wait for a new code and try again."));
    }
    if (passCode !== factor.passCode) {
      return asReply(oktaError(403, "E0000068", "Invalid Passcode/Answer", ["Your passcode doesn't match our records. Please try again."]));
    }
    factor.usedPassCodes.add(passCode);
    return { status: 200, body: { factorResult: "SUCCESS" } };
  }
  return asReply(oktaError(400, "E0000001", `Api validation failed: factorType`, [`The fake does not verify ${factor.factorType} factors.`]));
}

/**
 * Brings a transaction up to date at `now`: the caller's scripted answer once it is due (a
 * wrong number is a rejection), else TIMEOUT once the push has lived its lifetime.
 */
export function settleTransaction(tx: FakeTransaction, caller: FakeCaller, now: number): void {
  if (tx.result !== "WAITING" || tx.cancelled) return;
  const elapsed = now - tx.createdAt;
  if (caller.action === "approve" && elapsed >= (caller.afterMs ?? 0) && now < tx.expiresAt) {
    answerTransaction(tx, caller.pick === "wrong" ? "wrong" : "right");
    return;
  }
  if (caller.action === "deny" && elapsed >= (caller.afterMs ?? 0) && now < tx.expiresAt) {
    tx.result = "REJECTED";
    return;
  }
  if (now >= tx.expiresAt) tx.result = "TIMEOUT";
}

/** The caller answers on the phone: the right number, a wrong one, or Deny. */
export function answerTransaction(tx: FakeTransaction, answer: "right" | "wrong" | "deny"): void {
  if (tx.result !== "WAITING" || tx.cancelled) return;
  if (answer === "deny") {
    tx.result = "REJECTED";
    return;
  }
  if (tx.correctAnswer === null) {
    tx.result = answer === "right" ? "SUCCESS" : "REJECTED";
    return;
  }
  tx.picked = answer === "right" ? tx.correctAnswer : tx.correctAnswer === 99 ? 10 : tx.correctAnswer + 1;
  tx.result = tx.picked === tx.correctAnswer ? "SUCCESS" : "REJECTED";
}
