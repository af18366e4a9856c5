import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import { autotaskErrorMessage } from "./autotask-schemas.js";

/** What the client was doing, for messages an administrator can act on. */
export interface AutotaskOperation {
  /** e.g. "read ticket 42", "add a note to ticket 42". */
  readonly label: string;
  readonly kind: "zone" | "ticket" | "contact" | "resource" | "note" | "notes" | "publish" | "test";
  readonly ticketId?: number;
}

const PERMISSION: Record<AutotaskOperation["kind"], string> = {
  zone: "look up its zone",
  ticket: "view tickets",
  contact: "view contacts",
  resource: "view resources",
  note: "add ticket notes",
  notes: "view ticket notes",
  publish: "read ticket note field information",
  test: "view tickets",
};

/** A request that got no answer; only an ambiguous failure of a note may have created the note. */
export function autotaskTransportError(error: OutboundError, op: AutotaskOperation): VerityError {
  return ticketingTransportError("Autotask", error, op);
}

/** Maps an Autotask answer other than success to a registered error. */
export function autotaskApiError(response: OutboundResponse, op: AutotaskOperation, zone: string): VerityError {
  const said = autotaskErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const status = response.status;
  const note = op.kind === "note";
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(note ? { ambiguous } : {}) });

  if (status === 401 || status === 403) {
    const what =
      status === 401
        ? "Check username, secret and integrationCode (the API user's tracking identifier), and that the API user is active."
        : `Give the API user's security level permission to ${PERMISSION[op.kind]}.`;
    return new VerityError("UPSTREAM_AUTH_FAILED", { message: `Autotask refused to ${op.label} (HTTP ${status}${quoted}). ${what}`, details: details(false) });
  }
  if (status === 404 && (op.kind === "ticket" || op.kind === "note" || op.kind === "notes")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `Autotask has no ticket ${op.ticketId ?? ""} (if every ticket is reported missing, check the zone: ${zone}).`,
      details: details(false),
    });
  }
  if (status === 429 || status >= 500) {
    return ticketingBusyError("Autotask", response, op, { hint: status === 429 ? " (its hourly API limit is shared by every integration)" : "" });
  }
  return new VerityError("TICKETING_ERROR", {
    message: `Autotask refused to ${op.label} (HTTP ${status}${quoted}).${note ? " Check that the ticket is open and that its category allows notes with a title." : ""}`,
    details: details(false),
  });
}

/** A 2xx whose body Verity could not read. */
export function autotaskUnreadable(op: AutotaskOperation, zone: string): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `Autotask's answer when trying to ${op.label} was not understood (zone ${zone}).`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}

export function notATicket(ticket: string): VerityError {
  return new VerityError("TICKET_NOT_FOUND", { message: `'${ticket.slice(0, 20)}' is not an Autotask ticket id.` });
}
