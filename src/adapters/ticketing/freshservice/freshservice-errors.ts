import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import { freshserviceErrorMessage } from "./freshservice-schemas.js";

/** What the client was doing, for messages an administrator can act on. */
export interface FreshserviceOperation {
  /** e.g. "read ticket 42", "add a private note to ticket 42". */
  readonly label: string;
  readonly kind: "ticket" | "requester" | "agent" | "conversations" | "note" | "test";
  readonly ticketId?: number;
}

const PERMISSION: Record<FreshserviceOperation["kind"], string> = {
  ticket: "view tickets (and the requester's details)",
  requester: "view requesters",
  agent: "view agents",
  conversations: "view ticket conversations",
  note: "add private notes to tickets",
  test: "view tickets",
};

/** A call that got no answer; for a note, `ambiguous` says whether it may have been created. */
export function freshserviceTransportError(error: OutboundError, op: FreshserviceOperation): VerityError {
  return ticketingTransportError("Freshservice", error, op);
}

/** Maps an answer other than success to a registered error. */
export function freshserviceApiError(response: OutboundResponse, op: FreshserviceOperation, baseUrl: string): VerityError {
  const said = freshserviceErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const status = response.status;
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(op.kind === "note" ? { ambiguous } : {}) });
  if (status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Freshservice refused Verity's API key while trying to ${op.label} (HTTP 401${quoted}). Check apiKey: the agent may have been deactivated or the key reset.`,
      details: details(false),
    });
  }
  if (status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Freshservice refused to ${op.label} (HTTP 403${quoted}). Give the API key's agent a role that may ${PERMISSION[op.kind]}, in the ticket's workspace and group.`,
      details: details(false),
    });
  }
  if (status === 404 && (op.kind === "ticket" || op.kind === "note" || op.kind === "conversations")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `Freshservice has no ticket ${op.ticketId ?? ""} (if every ticket is reported missing, check that baseUrl ${baseUrl} is the account's address).`,
      details: details(false),
    });
  }
  if (status === 429 || status >= 500) {
    return ticketingBusyError("Freshservice", response, op);
  }
  return new VerityError("TICKETING_ERROR", {
    message: `Freshservice refused to ${op.label} (HTTP ${status}${quoted}).`,
    details: details(false),
  });
}

/** A 2xx whose body Verity could not read. */
export function freshserviceUnreadable(op: FreshserviceOperation, baseUrl: string): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `Freshservice's answer when trying to ${op.label} was not understood. Check that baseUrl (${baseUrl}) is the account's address, https://<domain>.freshservice.com.`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}
