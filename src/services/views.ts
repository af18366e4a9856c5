import type { MethodKind } from "../domain/methods.js";
import type { Kysely } from "kysely";
import { ENDING_ACTIONS } from "../domain/audit-actions.js";
import { parseMethod } from "../domain/methods.js";
import { isTerminal, type Verification, type VerificationState } from "../domain/verification.js";
import { firstVerificationEvent } from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";
import { achievedAssurance, findSecondMethod, policySatisfied } from "./second-method.js";
import { ASSURANCE_WORDS, assuranceOf, assuranceRank, meetsAssurance, stillNeeded, type AssuranceLevel, type AssuranceRequirement } from "../domain/assurance.js";
import { WAITING_FOR_TICKETING } from "./ticket-binding.js";
import type { TenantRegistry } from "./tenant-registry.js";

/** A verification as the API, the CLI and SSE show it: masked, no code, no full destination. */
export interface VerificationView {
  readonly id: string;
  readonly tenant: { readonly id: string; readonly name: string };
  readonly subject: { readonly id: string; readonly displayName: string };
  readonly method: string;
  readonly methodKind: MethodKind;
  readonly state: VerificationState;
  readonly stateReason: string | null;
  readonly final: boolean;
  readonly technician: string;
  readonly ticket: string | null;
  readonly reason: string | null;
  readonly destination: string | null;
  readonly challenge: string | null;
  readonly checks: { readonly used: number; readonly max: number; readonly remaining: number };
  readonly sends: number;
  readonly risk: Verification["risk"];
  /** Present when policy asks for a second method: which verification, if any, satisfied it. */
  readonly secondMethod: { readonly required: true; readonly satisfiedBy: string | null; readonly satisfiedByMethod: string | null } | null;
  /**
   * Whether the caller may be acted on under policy: verified, and by a second method too when
   * policy asks for one. Null while open; false for every other ending.
   */
  readonly policySatisfied: boolean | null;
  /**
   * The assurance this verification reaches (docs/assurance.md), what policy asked of the caller
   * (null: nothing beyond a verified caller), whether it is met (null while open), and what is
   * still needed in words.
   */
  readonly assurance: {
    readonly level: AssuranceLevel;
    readonly rank: number;
    readonly words: string;
    readonly required: AssuranceLevel | null;
    readonly satisfied: boolean | null;
    readonly stillNeeded: string | null;
  };
  readonly developmentOnly: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
  readonly completedAt: string | null;
  /**
   * For a final verification, the audit event that recorded its end: its number and hash are a
   * receipt anyone can check against the audit chain and its anchors later. Null while open.
   */
  readonly receipt: { readonly seq: number; readonly hash: string; readonly eventId: string; readonly action: string } | null;
}

/** `known.receipt`: the receipt already read (history reads a page's receipts in one query). */
export async function presentVerification(
  deps: { db: Kysely<Database>; tenants: TenantRegistry },
  v: Verification,
  known: { receipt?: VerificationView["receipt"] } = {},
): Promise<VerificationView> {
  const tenant = deps.tenants.get(v.tenantId);
  const binding = tenant?.methods.get(v.method);
  const developmentOnly =
    binding === undefined ? false : "channel" in binding ? binding.channel.developmentOnly : binding.provider.developmentOnly;
  const second = v.risk.decision === "second_method" ? await findSecondMethod(deps.db, v) : null;
  const level = assuranceOf(v.method, v.challenge, v.evidence);
  const required = v.risk.assurance ?? null;
  const achieved = required !== null && v.state === "verified" ? await achievedAssurance(deps.db, v) : null;
  const assuranceMet = required === null || achieved === null ? null : meetsAssurance(required, achieved);
  const assurance: VerificationView["assurance"] = {
    level,
    rank: assuranceRank(level),
    words: ASSURANCE_WORDS[level],
    required: required?.level ?? null,
    satisfied: v.state === "verified" ? assuranceMet !== false : isTerminal(v.state) ? false : null,
    stillNeeded: required === null ? null : achieved === null ? (isTerminal(v.state) ? null : needs(required, level)) : stillNeeded(required, achieved),
  };
  const secondMethod: VerificationView["secondMethod"] =
    v.risk.decision === "second_method" ? { required: true, satisfiedBy: second?.id ?? null, satisfiedByMethod: second?.method ?? null } : null;
  return {
    id: v.id,
    tenant: { id: v.tenantId, name: tenant?.name ?? v.tenantId },
    subject: { id: v.subjectId, displayName: v.subjectName },
    method: v.method,
    methodKind: parseMethod(v.method).kind,
    state: v.state,
    stateReason:
      v.state === "pending" && v.stateReason === WAITING_FOR_TICKETING
        ? `Waiting for ${(v.ticketSystem === null ? undefined : tenant?.ticketing?.systems.get(v.ticketSystem)?.vendor) ?? "the ticketing system"} to confirm ticket ${v.ticket ?? "?"} is ${v.subjectName}'s; nothing is sent until it answers.`
        : v.stateReason,
    final: isTerminal(v.state),
    technician: v.technician,
    ticket: v.ticket,
    reason: v.reason,
    destination: v.destinationMasked,
    challenge: isTerminal(v.state) ? null : v.challenge,
    checks: { used: v.attempts, max: v.maxAttempts, remaining: Math.max(0, v.maxAttempts - v.attempts) },
    sends: v.sends,
    risk: v.risk,
    secondMethod,
    policySatisfied: policySatisfied(v, second) === true ? assurance.satisfied : policySatisfied(v, second),
    assurance,
    developmentOnly,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    expiresAt: v.expiresAt,
    completedAt: v.completedAt,
    receipt: !isTerminal(v.state) ? null : known.receipt !== undefined ? known.receipt : await findReceipt(deps.db, v.id),
  };
}

async function findReceipt(db: Kysely<Database>, verificationId: string): Promise<VerificationView["receipt"]> {
  const event = await firstVerificationEvent(db, verificationId, ENDING_ACTIONS);
  return event === undefined ? null : { seq: event.seq, hash: event.hash, eventId: event.id, action: event.action };
}

/** While open: what the requirement still asks beyond what this method can reach, or null when it reaches it. */
function needs(required: AssuranceRequirement, level: AssuranceLevel): string | null {
  return stillNeeded(required, { best: level, methods: 1 });
}
