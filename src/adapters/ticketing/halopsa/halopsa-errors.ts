import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import type { HaloOutcomeConfig } from "./halopsa-config.js";
import { haloErrorMessage } from "./halopsa-schemas.js";

/** What the client was doing, for messages an administrator can act on. */
export interface HaloOperation {
  /** e.g. "read ticket 42", "add a private note to ticket 42". */
  readonly label: string;
  readonly kind: "ticket" | "user" | "agent" | "actions" | "note" | "test";
  readonly ticketId?: number;
}

export interface HaloErrorContext {
  readonly outcome: HaloOutcomeConfig;
  readonly scope: string;
  readonly apiUrl: string;
}

const PERMISSION: Record<HaloOperation["kind"], string> = {
  ticket: "read tickets",
  user: "read users (customers)",
  agent: "read agents",
  actions: "read ticket actions",
  note: "add actions to tickets",
  test: "read tickets",
};

/** How the outcome is written in messages: `outcome id 7` or `outcome "Private Note"`. */
export function outcomeLabel(outcome: HaloOutcomeConfig): string {
  return "id" in outcome ? `outcome id ${outcome.id}` : `outcome "${outcome.name}"`;
}

/**
 * A note request that got no answer. Only an ambiguous failure (a timeout, a reset after the
 * request left) may have created the note; the outbox must look before it posts again.
 */
export function haloTransportError(error: OutboundError, op: HaloOperation): VerityError {
  return ticketingTransportError("HaloPSA", error, op);
}

/**
 * Maps a Halo answer other than success to a registered error. 401 arrives here only after one
 * fresh token was also refused. For notes, `details.ambiguous` says whether the note may exist.
 */
export function haloApiError(response: OutboundResponse, op: HaloOperation, ctx: HaloErrorContext): VerityError {
  const said = haloErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const status = response.status;
  const note = op.kind === "note";
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(note ? { ambiguous } : {}) });

  if (status === 401 || status === 403) {
    const who =
      status === 401
        ? "HaloPSA refused Verity's access token even after a fresh one was fetched. Check that the API application still exists and is enabled, and that the agent it logs in as is active."
        : `The API application logs in as an agent: give that agent permission to ${PERMISSION[op.kind]}${
            note ? ` and to use ${outcomeLabel(ctx.outcome)}` : ""
          }, and check the application's permissions (scope "${ctx.scope}").`;
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `HaloPSA refused to ${op.label} (HTTP ${status}${quoted}). ${who}`,
      details: details(false),
    });
  }
  if (status === 404 && (op.kind === "ticket" || op.kind === "note" || op.kind === "actions")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `HaloPSA has no ticket ${op.ticketId ?? ""} (if every ticket is reported missing, check that apiUrl ${ctx.apiUrl} is the Resource Server).`,
      details: details(false),
    });
  }
  if (status === 429 || status >= 500) {
    return ticketingBusyError("HaloPSA", response, op);
  }
  if (note && said !== undefined && /outcome/i.test(said)) {
    return new VerityError("TICKETING_ERROR", {
      message:
        `HaloPSA refused the private note${quoted}. Verity sends ${outcomeLabel(ctx.outcome)}: set \`outcome\` in the halopsa ` +
        "configuration to an action outcome that exists under Configuration > Tickets > Actions, hides the note from the end user, " +
        "and that the API application's agent may use.",
      details: details(false),
    });
  }
  return new VerityError("TICKETING_ERROR", {
    message: `HaloPSA refused to ${op.label} (HTTP ${status}${quoted}).${
      note ? ` Check that the ticket is open and that ${outcomeLabel(ctx.outcome)} applies to its ticket type.` : ""
    }`,
    details: details(false),
  });
}

/** A 2xx whose body Verity could not read. */
export function haloUnreadable(op: HaloOperation, ctx: HaloErrorContext): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `HaloPSA's answer when trying to ${op.label} was not understood. Check that apiUrl (${ctx.apiUrl}) is the Resource Server shown under Configuration > Integrations > HaloPSA API.`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}
