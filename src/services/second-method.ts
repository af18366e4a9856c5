import type { Kysely } from "kysely";
import { assuranceOf, assuranceRank, ASSURANCE_LEVELS, type AssuranceLevel } from "../domain/assurance.js";
import type { Verification, VerificationEvidence } from "../domain/verification.js";
import type { Database } from "../store/schema.js";

/** How long a second method's success counts towards a first one, either way round. */
const SECOND_METHOD_WINDOW_MS = 60 * 60 * 1000;

/** The caller's verified verifications completed within an hour of `v`, either way (v's own row included), newest first. */
async function verifiedNearby(
  db: Kysely<Database>,
  v: Verification,
): Promise<{ id: string; method: string; challenge: string | null; evidence: string | null; destination_hash: string | null }[]> {
  const anchor = Date.parse(v.completedAt ?? v.updatedAt);
  return db
    .selectFrom("verifications")
    .select(["id", "method", "challenge", "evidence", "destination_hash"])
    .where("tenant_id", "=", v.tenantId)
    .where("subject_id", "=", v.subjectId)
    .where("state", "=", "verified")
    .where("completed_at", ">=", new Date(anchor - SECOND_METHOD_WINDOW_MS).toISOString())
    .where("completed_at", "<=", new Date(anchor + SECOND_METHOD_WINDOW_MS).toISOString())
    .orderBy("completed_at", "desc")
    .execute();
}

/**
 * What a verification rests on, for telling independent methods apart: the destination it was
 * sent to (a keyed hash: `sms` and `sms-link` to one number rest on one phone, and count once),
 * else its method (a push or passcode at a provider). Manager approval's destination is the
 * manager's mailbox, which nothing of the caller's reaches, so it is always a factor of its own.
 */
function factorOf(row: { method: string; destination_hash: string | null }): string {
  return row.destination_hash === null ? `method:${row.method}` : `destination:${row.destination_hash}`;
}
const factorOfVerification = (v: Verification) => factorOf({ method: v.method, destination_hash: v.destinationHash });

/**
 * When policy asks for a second method: the other verified verification of the same caller, by a
 * different method resting on another factor (factorOf) within an hour either way, that satisfies
 * it; null while there is none.
 */
export async function findSecondMethod(db: Kysely<Database>, v: Verification): Promise<{ id: string; method: string } | null> {
  if (v.state !== "verified") return null;
  const own = factorOfVerification(v);
  const other = (await verifiedNearby(db, v)).find((r) => r.method !== v.method && factorOf(r) !== own);
  return other === undefined ? null : { id: other.id, method: other.method };
}

/**
 * Whether what policy asks is met: a verified caller, and the second method done when it needs
 * one. Null while the verification is open; false for any other ending.
 */
export function policySatisfied(v: Verification, second: { id: string } | null): boolean | null {
  if (v.state === "verified") return v.risk.decision !== "second_method" || second !== null;
  return ["pending", "sent", "delivery_unknown"].includes(v.state) ? null : false;
}

/**
 * The best assurance the caller reached with verifications completed within an hour of this one
 * (this one included), and how many independent methods verified them (different methods resting
 * on different factors: factorOf): what an assurance requirement is weighed against.
 */
export async function achievedAssurance(db: Kysely<Database>, v: Verification): Promise<{ best: AssuranceLevel; methods: number }> {
  const own = assuranceOf(v.method, v.challenge, v.evidence);
  if (v.state !== "verified") return { best: own, methods: 0 };
  const rows = await verifiedNearby(db, v);
  const levels = [own, ...rows.map((r) => assuranceOf(r.method, r.challenge, r.evidence === null ? null : (JSON.parse(r.evidence) as VerificationEvidence)))];
  const best = ASSURANCE_LEVELS[Math.max(...levels.map(assuranceRank)) - 1] ?? own;
  return { best, methods: new Set([factorOfVerification(v), ...rows.map(factorOf)]).size };
}
