import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { KeyRing } from "../domain/keys.js";
import type { Clock } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";
import { findVerification, updateVerificationIf, type UpdateGuard, type VerificationPatch } from "../store/verification-dal.js";
import type { Database } from "../store/schema.js";
import { VerityError } from "../domain/errors.js";
import type { Actor } from "./actor.js";
import type { AuditEntry, AuditWriter } from "./audit-service.js";
import type { ChangeBus } from "./change-bus.js";
import type { TenantRegistry, TenantRuntime } from "./tenant-registry.js";

/** What the engine's parts share. Narrow it with Pick<> where a part needs less. */
export interface EngineDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly keys: KeyRing;
  readonly tenants: TenantRegistry;
  readonly audit: AuditWriter;
  readonly bus: ChangeBus;
  readonly log: Logger;
  /**
   * Reveal mode: shows a just-sent code to the technician through the ticket (fire and forget;
   * the code is never stored). Absent when no tenant reveals codes.
   */
  readonly revealCode?: (tenant: TenantRuntime, verification: Verification, code: string) => void;
  /**
   * Where confirmation links point (`<base>/c/<id>.<token>`): server.publicUrl, or the demo's own
   * address. Without it, link methods refuse to start.
   */
  readonly callerLinkBase?: string;
  /** Said after a limit's retry advice (the demo names its reset command here). */
  readonly limitHint?: string;
  /** This process's name where instances share work (push-poll leases); random when absent. */
  readonly instanceId?: string;
  /** How much later than planned a push poll ran (metrics' poller lag), when metrics are on. */
  readonly observePollLag?: (seconds: number) => void;
}

/** The audit fields every event about `v` carries. */
export function eventBase(v: Verification, actor: Actor | string): Omit<AuditEntry, "action"> {
  return {
    actor: typeof actor === "string" ? actor : actor.id,
    ...(typeof actor === "string" ? {} : { actorName: actor.name }),
    tenantId: v.tenantId,
    subjectId: v.subjectId,
    verificationId: v.id,
    ticket: v.ticket,
    method: v.method,
    destinationMasked: v.destinationMasked,
    destinationHash: v.destinationHash,
  };
}

/**
 * One guarded change and its audit events, committed together, then announced. Returns
 * undefined when the guard no longer holds (someone else changed the verification first).
 */
export async function changeVerification(
  deps: Pick<EngineDeps, "audit" | "bus">,
  id: string,
  guard: UpdateGuard,
  patch: VerificationPatch,
  events: (after: Verification) => readonly AuditEntry[],
): Promise<Verification | undefined> {
  const { result } = await deps.audit.transaction(async (trx, record) => {
    const after = await updateVerificationIf(trx, id, guard, patch);
    if (after !== undefined) events(after).forEach(record);
    return after;
  });
  if (result !== undefined) deps.bus.publish(result);
  return result;
}

export async function loadVerification(deps: Pick<EngineDeps, "db">, id: string): Promise<Verification> {
  const v = await findVerification(deps.db, id);
  if (v === undefined) throw new VerityError("VERIFICATION_NOT_FOUND");
  return v;
}

export const isoAfter = (now: Date, seconds: number): string => new Date(now.getTime() + seconds * 1000).toISOString();
