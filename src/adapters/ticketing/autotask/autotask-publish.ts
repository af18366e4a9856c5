import { VerityError } from "../../../domain/errors.js";
import type { PicklistValue } from "./autotask-schemas.js";

/** The `publish` value Verity prefers: "Internal Project Team", seen only by the MSP's own resources. */
export const INTERNAL_PROJECT_TEAM = 2;
/** "All Autotask Users": also shown on outsourced (co-managed) copies of the ticket, so never chosen alone. */
export const ALL_AUTOTASK_USERS = 1;

/**
 * Chooses the ticket notes' `publish` value from the TicketNotes `publish` picklist.
 * - `configured` (the `notePublish` setting) wins, provided the picklist has it active;
 * - otherwise value 2, or an active option labelled "Internal Project Team" (instances may renumber);
 * - otherwise nothing is chosen: Verity will not guess which other option is internal.
 *
 * @throws VerityError TICKETING_ERROR, naming the options the instance offers.
 */
export function choosePublish(picklist: readonly PicklistValue[], configured: number | undefined): number {
  const active = picklist.filter((p) => p.isActive !== false);
  const offered = active.map((p) => `${p.value} "${p.label.replace(/[\p{Cc}"]/gu, "").slice(0, 60)}"`).join(", ") || "none";
  if (configured !== undefined) {
    if (active.some((p) => p.value === configured)) return configured;
    throw new VerityError("TICKETING_ERROR", {
      message: `Autotask's ticket note publish picklist has no active value ${configured} (notePublish). It offers: ${offered}.`,
      details: { operation: "publish" },
    });
  }
  const internal =
    active.find((p) => p.value === INTERNAL_PROJECT_TEAM) ?? active.find((p) => /^\s*internal project team\s*$/i.test(p.label));
  if (internal !== undefined && internal.value !== ALL_AUTOTASK_USERS) return internal.value;
  throw new VerityError("TICKETING_ERROR", {
    message:
      `Autotask offers no "Internal Project Team" publish option for ticket notes (it offers: ${offered}), so Verity will not post notes: ` +
      `"All Autotask Users" notes also appear on outsourced copies of a ticket. Set notePublish to the value of an option only your own ` +
      "resources can see, if there is one.",
    details: { operation: "publish" },
  });
}
