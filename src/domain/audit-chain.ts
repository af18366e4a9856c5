import { createHash } from "node:crypto";

/** What every audit event records. Never a code, a full phone number or a full email. */
export interface AuditRecord {
  readonly at: string;
  readonly tenantId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly subjectId: string | null;
  readonly verificationId: string | null;
  readonly ticket: string | null;
  readonly method: string | null;
  readonly destinationMasked: string | null;
  readonly destinationHash: string | null;
  readonly outcome: string | null;
  readonly reason: string | null;
  readonly data: Readonly<Record<string, unknown>> | null;
}

export interface ChainedAuditEvent extends AuditRecord {
  readonly seq: number;
  readonly id: string;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted at every depth, so equal records always serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * h_i = SHA-256(h_{i-1} ‖ canonical(record_i)). The sequence number and id are part of the
 * record, so moving, renumbering or replaying an event breaks the chain as surely as editing it.
 */
export function chainHash(prevHash: string, event: Omit<ChainedAuditEvent, "hash" | "prevHash">): string {
  const body = canonicalJson({
    seq: event.seq,
    id: event.id,
    at: event.at,
    tenantId: event.tenantId,
    actor: event.actor,
    action: event.action,
    subjectId: event.subjectId,
    verificationId: event.verificationId,
    ticket: event.ticket,
    method: event.method,
    destinationMasked: event.destinationMasked,
    destinationHash: event.destinationHash,
    outcome: event.outcome,
    reason: event.reason,
    data: event.data,
  });
  return createHash("sha256").update(prevHash).update("\n").update(body).digest("hex");
}

export type ChainProblem = { readonly seq: number; readonly id: string | null; readonly problem: string };

/**
 * Checks events in order. Feed every event from seq 1 upwards; the first problem found is the
 * answer (later ones are consequences of it).
 */
export function createChainVerifier(): {
  check(event: ChainedAuditEvent): ChainProblem | null;
  readonly count: number;
  readonly head: { seq: number; hash: string };
} {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  return {
    check(event) {
      if (event.seq !== expectedSeq) {
        return {
          seq: expectedSeq,
          id: null,
          problem:
            event.seq > expectedSeq
              ? `event ${expectedSeq} is missing (next present is ${event.seq})`
              : `event ${event.seq} appears out of order`,
        };
      }
      if (event.prevHash !== prev) {
        return { seq: event.seq, id: event.id, problem: "its previous-hash link does not match the event before it" };
      }
      if (chainHash(prev, event) !== event.hash) {
        return { seq: event.seq, id: event.id, problem: "its content does not match its hash (changed after writing)" };
      }
      prev = event.hash;
      expectedSeq += 1;
      return null;
    },
    get count() {
      return expectedSeq - 1;
    },
    get head() {
      return { seq: expectedSeq - 1, hash: prev };
    },
  };
}
