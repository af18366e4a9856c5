import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalJson,
  chainHash,
  createChainVerifier,
  GENESIS_HASH,
  type AuditRecord,
  type ChainedAuditEvent,
} from "../../src/domain/audit-chain.js";

const record = (n: number): AuditRecord => ({
  at: `2026-11-23T09:00:0${n}.000Z`,
  tenantId: "acme",
  actor: "token:a",
  action: "check.incorrect",
  subjectId: "u-1",
  verificationId: "v-1",
  ticket: "1042",
  method: "sms",
  destinationMasked: "+44 ••••• ••0001",
  destinationHash: "h",
  outcome: "incorrect",
  reason: null,
  data: { attempt: n, nested: { b: 1, a: 2 } },
});

function chain(count: number): ChainedAuditEvent[] {
  const events: ChainedAuditEvent[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= count; i += 1) {
    const base = { ...record(i), seq: i, id: `e-${i}` };
    const hash = chainHash(prev, base);
    events.push({ ...base, prevHash: prev, hash });
    prev = hash;
  }
  return events;
}

const firstProblem = (events: ChainedAuditEvent[]) => {
  const verifier = createChainVerifier();
  for (const e of events) {
    const problem = verifier.check(e);
    if (problem !== null) return problem;
  }
  return null;
};

describe("audit hash chain", () => {
  it("serialises objects canonically, whatever the key order", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } }), '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}');
  });

  it("verifies an untouched chain and reports its head", () => {
    const events = chain(5);
    const verifier = createChainVerifier();
    for (const e of events) assert.equal(verifier.check(e), null);
    assert.deepEqual(verifier.head, { seq: 5, hash: events[4]?.hash });
  });

  it("finds a changed field in the event that was changed", () => {
    const events = chain(5);
    events[2] = { ...events[2]!, outcome: "verified" };
    assert.deepEqual(firstProblem(events), { seq: 3, id: "e-3", problem: "its content does not match its hash (changed after writing)" });
  });

  it("finds a change hidden in nested data", () => {
    const events = chain(3);
    events[1] = { ...events[1]!, data: { attempt: 2, nested: { b: 1, a: 3 } } };
    assert.equal(firstProblem(events)?.seq, 2);
  });

  it("finds a deleted event", () => {
    const events = chain(5);
    events.splice(1, 1);
    assert.equal(firstProblem(events)?.problem, "event 2 is missing (next present is 3)");
  });

  it("finds two events that swapped places, even with their numbers swapped too", () => {
    const events = chain(5);
    const a = events[1]!;
    const b = events[2]!;
    events[1] = { ...b, seq: 2 };
    events[2] = { ...a, seq: 3 };
    assert.equal(firstProblem(events)?.seq, 2);
  });

  it("finds an inserted event whose hash was recomputed but whose link was not", () => {
    const events = chain(3);
    const forged = { ...record(9), seq: 2, id: "forged" };
    const inserted = { ...forged, prevHash: events[0]!.hash, hash: chainHash(events[0]!.hash, forged) };
    const renumbered = events.slice(1).map((e) => ({ ...e, seq: e.seq + 1 }));
    const problem = firstProblem([events[0]!, inserted, ...renumbered]);
    assert.equal(problem?.seq, 3);
  });
});
