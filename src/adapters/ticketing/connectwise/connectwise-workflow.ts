import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { TriggerEvent } from "../../../domain/ports.js";

const ticketNumber = z.union([z.number().int().positive().safe().transform(String), z.string().regex(/^\d{1,12}$/)]);

/**
 * The body of a press sent by your own automation (a Rewst or Power Automate flow, a script behind
 * a custom menu entry) rather than by a ConnectWise callback: Verity's own small shape, with a
 * delivery id and the time of the press.
 */
const workflowBody = z.strictObject({
  ticketId: ticketNumber,
  id: z.string().trim().regex(/^[\x21-\x7e]{1,128}$/, "must be 1 to 128 printable characters without spaces"),
  timestamp: z.union([z.string().max(64), z.number()]).optional(),
  memberId: z.string().regex(/^[A-Za-z0-9._@-]{1,100}$/, "must be a member identifier or id").optional(),
});

/**
 * Reads a workflow press `{ticketId, id, timestamp, memberId?}` (already JSON-parsed) after its
 * shared secret was checked. A missing or unreadable `timestamp` gives `raisedAt: null`, which
 * Verity refuses: a shared secret alone cannot tell a fresh press from a replayed one.
 * @throws VerityError VALIDATION_FAILED naming the field, without echoing values
 */
export function parseWorkflowPress(body: unknown): TriggerEvent {
  const parsed = workflowBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    throw new VerityError("VALIDATION_FAILED", {
      message: `The press is not valid${path === "" ? "" : ` at ${path}`}: send {"ticketId", "id", "timestamp", "memberId"?}.`,
    });
  }
  const { ticketId, id, timestamp, memberId } = parsed.data;
  const at = timestamp === undefined ? null : new Date(typeof timestamp === "number" ? timestamp : timestamp.trim());
  return { deliveryId: id, ticket: ticketId, raisedAt: at === null || Number.isNaN(at.getTime()) ? null : at, agent: memberId ?? null, emailHint: null };
}
