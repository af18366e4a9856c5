import type { KeyRing } from "../domain/keys.js";
import { checkLinkCapability, issueLinkCapability } from "../domain/links.js";
import type { Clock } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";

/** Links to a verification's page for technicians who arrive from a ticket note. */
export interface VerificationLinks {
  /** `<publicUrl>/v/<id>#t=<capability>`, or null when no public URL is configured. */
  url(v: Pick<Verification, "id">): string | null;
  check(verificationId: string, capability: string): boolean;
}

const LINK_LIFETIME_MS = 24 * 3600_000;

export function createVerificationLinks(deps: { publicUrl: string | undefined; keys: KeyRing; clock: Clock }): VerificationLinks {
  return {
    url(v) {
      if (deps.publicUrl === undefined) return null;
      const capability = issueLinkCapability(deps.keys, v.id, new Date(deps.clock.now().getTime() + LINK_LIFETIME_MS));
      return `${deps.publicUrl.replace(/\/+$/, "")}/v/${v.id}#t=${capability}`;
    },
    check: (id, capability) => checkLinkCapability(deps.keys, id, capability, deps.clock.now()),
  };
}
