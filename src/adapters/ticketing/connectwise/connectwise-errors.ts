import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import { cwErrorMessage } from "./connectwise-schemas.js";

/** What the client was doing, for messages an administrator can act on. */
export interface CwOperation {
  /** e.g. "read ticket 42", "add an internal note to ticket 42". */
  readonly label: string;
  readonly kind: "ticket" | "contact" | "member" | "notes" | "note" | "test";
  readonly ticketId?: number;
}

/** The security-role permission each call needs (Setup > Security Roles in ConnectWise). */
const PERMISSION: Record<CwOperation["kind"], string> = {
  ticket: "Service Desk > Service Tickets: Inquire",
  contact: "Companies > Contacts: Inquire",
  member: "System > Member Maintenance: Inquire",
  notes: "Service Desk > Service Tickets: Inquire",
  note: "Service Desk > Service Tickets: Add and Edit (internal notes)",
  test: "Service Desk > Service Tickets: Inquire",
};

/** A request that got no answer; for a note, `ambiguous` says whether it may exist anyway. */
export function cwTransportError(error: OutboundError, op: CwOperation): VerityError {
  return ticketingTransportError("ConnectWise", error, op);
}

/** Maps a ConnectWise answer other than success to a registered error. */
export function cwApiError(response: OutboundResponse, op: CwOperation, apiUrl: string): VerityError {
  const said = cwErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const status = response.status;
  const note = op.kind === "note";
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(note ? { ambiguous } : {}) });

  if (status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message:
        `ConnectWise refused Verity's credentials while trying to ${op.label} (HTTP 401${quoted}). Check companyId, publicKey and privateKey ` +
        "(the API member's keys under System > Members > API Members > API Keys) and clientId (from developer.connectwise.com).",
      details: details(false),
    });
  }
  if (status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `ConnectWise refused to ${op.label} (HTTP 403${quoted}). Give the API member's security role "${PERMISSION[op.kind]}".`,
      details: details(false),
    });
  }
  if (status === 404 && (op.kind === "ticket" || op.kind === "note" || op.kind === "notes")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `ConnectWise has no ticket ${op.ticketId ?? ""} (if every ticket is reported missing, check that apiUrl ${apiUrl} ends in /v4_6_release/apis/3.0).`,
      details: details(false),
    });
  }
  if (status === 429 || status >= 500) {
    return ticketingBusyError("ConnectWise", response, op);
  }
  return new VerityError("TICKETING_ERROR", {
    message: `ConnectWise refused to ${op.label} (HTTP ${status}${quoted}).${note ? " Check that the ticket is open and its board accepts internal notes." : ""}`,
    details: details(false),
  });
}

/** A 2xx whose body Verity could not read. */
export function cwUnreadable(op: CwOperation, apiUrl: string): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `ConnectWise's answer when trying to ${op.label} was not understood. Check that apiUrl (${apiUrl}) is the REST base, https://<site>/v4_6_release/apis/3.0.`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}
