import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { escapeHtml } from "../domain/html.js";
import { isVerityError } from "../domain/errors.js";
import type { Clock } from "../domain/ports.js";
import type { Verification } from "../domain/verification.js";
import type { AuditWriter } from "./audit-service.js";
import { eventBase } from "./engine-deps.js";
import type { VerificationLinks } from "./links.js";
import type { TenantRuntime } from "./tenant-registry.js";

/**
 * Reveal mode, as the old runbook did it: the code goes into a private note so the technician
 * can compare what the caller reads out. The note is posted straight from memory, retried until
 * the code expires, and never queued: a queued note would store the code. Its posting (not its
 * content) is audited.
 */
export function createCodeRevealer(deps: { audit: AuditWriter; links: VerificationLinks; clock: Clock; log: Pick<Logger, "warn" | "error"> }) {
  return (tenant: TenantRuntime, v: Verification, code: string): void => {
    const system = v.ticketSystem === null ? undefined : tenant.ticketing?.systems.get(v.ticketSystem);
    if (system === undefined || v.ticket === null || v.ticketConfirmedAt === null) return;
    const systemName = v.ticketSystem;
    const ticket = v.ticket;
    const link = deps.links.url(v);
    const html = [
      `<p><b>Verity: code ${escapeHtml(code)}</b> was sent by ${escapeHtml(v.method.toUpperCase())} to ${escapeHtml(v.destinationMasked ?? "the registered factor")}.</p>`,
      `<p>Ask the caller to read the code out. Do not read it to them. Then record whether it matched${
        link === null ? " in Verity" : `: <a href="${escapeHtml(link)}">open the verification</a>`
      }.</p>`,
    ].join("");
    void (async () => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await system.addPrivateNote({ ticket, html });
          await deps.audit.append([{ ...eventBase(v, "system"), action: "note.code_revealed", outcome: "posted", data: { system: systemName } }]);
          return;
        } catch (error) {
          const retryable = !isVerityError(error) || error.retryable;
          const wait = Math.min(30_000, 2000 * 2 ** attempt);
          if (!retryable || deps.clock.now().getTime() + wait >= Date.parse(v.expiresAt)) {
            deps.log.error({ verificationId: v.id, err: error }, "could not show the code in the ticket");
            await deps.audit.append([
              { ...eventBase(v, "system"), action: "note.reveal_failed", outcome: "failed", reason: error instanceof Error ? error.message : "failed" },
            ]);
            return;
          }
          await sleep(wait);
        }
      }
    })().catch((error: unknown) => deps.log.error({ err: error }, "reveal failed"));
  };
}
