import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Verification } from "../../src/domain/verification.js";
import type { Actor } from "../../src/services/actor.js";
import type { Database } from "../../src/store/schema.js";
import { insertVerification } from "../../src/store/verification-dal.js";

/** People whose history the history tests compare (ids as the web app makes them). */
export const PEOPLE = {
  terry: { id: "user:terry", name: "Terry Tech", role: "technician", tenants: ["acme"] },
  bea: { id: "user:bea", name: "Bea Tech", role: "technician", tenants: ["acme"] },
  vera: { id: "user:vera", name: "Vera Verifier", role: "verifier", tenants: ["acme"] },
  audrey: { id: "user:audrey", name: "Audrey Auditor", role: "auditor", tenants: ["acme"] },
  ada: { id: "user:ada", name: "Ada Admin", role: "admin", tenants: null },
} as const satisfies Record<string, Actor>;

/** A finished verification as the store keeps it; `at` is its start. */
export function historyRow(at: string, overrides: Partial<Verification> = {}): Verification {
  const ended = new Date(Date.parse(at) + 60_000).toISOString();
  return {
    id: randomUUID(),
    tenantId: "acme",
    subjectId: "u-1",
    subjectName: "Jane Doe",
    method: "sms",
    evidence: null,
    state: "verified",
    stateReason: null,
    technician: "Terry Tech",
    createdBy: "user:terry",
    ticket: "1042",
    ticketSystem: null,
    ticketConfirmedAt: null,
    reason: null,
    codeHash: null,
    codeLength: 6,
    attempts: 1,
    maxAttempts: 5,
    sends: 1,
    destinationMasked: "+44 ••••• ••0001",
    destinationHash: "dest",
    providerRef: null,
    challenge: null,
    prompt: null,
    risk: { decision: "allow", signals: [] },
    createdAt: at,
    updatedAt: ended,
    // Far off, so reading one never expires it (the test clock stands in 2026).
    expiresAt: "2099-01-01T00:00:00.000Z",
    completedAt: ["pending", "sent", "delivery_unknown"].includes(overrides.state ?? "verified") ? null : ended,
    version: 2,
    ...overrides,
  };
}

export async function seed(db: Kysely<Database>, rows: readonly Verification[]): Promise<void> {
  for (const row of rows) await insertVerification(db, row);
}
