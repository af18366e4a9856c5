import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import { zendeskErrorMessage } from "./zendesk-schemas.js";

/** What the client was doing, for messages an administrator can act on. */
export interface ZendeskOperation {
  /** e.g. "read ticket 42", "add an internal note to ticket 42". */
  readonly label: string;
  readonly kind: "ticket" | "user" | "comments" | "note" | "test";
  readonly ticketId?: number;
}

const PERMISSION: Record<ZendeskOperation["kind"], string> = {
  ticket: "view the ticket (an agent role with access to its group or organisation; OAuth scope tickets:read)",
  user: "view users (OAuth scope users:read)",
  comments: "view the ticket's comments (OAuth scope tickets:read)",
  note: "add internal notes to the ticket (OAuth scope tickets:write)",
  test: "read its own profile",
};

/** A call that got no answer; for a note, `ambiguous` says whether it may have been created. */
export function zendeskTransportError(error: OutboundError, op: ZendeskOperation): VerityError {
  return ticketingTransportError("Zendesk", error, op);
}

/** Maps an answer other than success to a registered error. */
export function zendeskApiError(response: OutboundResponse, op: ZendeskOperation, baseUrl: string): VerityError {
  const said = zendeskErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const status = response.status;
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(op.kind === "note" ? { ambiguous } : {}) });
  if (status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Zendesk refused Verity's credentials while trying to ${op.label} (HTTP 401${quoted}). Check auth: the API token may have been deleted, token access turned off, or the OAuth token revoked.`,
      details: details(false),
    });
  }
  if (status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Zendesk refused to ${op.label} (HTTP 403${quoted}). The agent Verity signs in as must be allowed to ${PERMISSION[op.kind]}.`,
      details: details(false),
    });
  }
  if (status === 404 && (op.kind === "ticket" || op.kind === "note" || op.kind === "comments")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `Zendesk has no ticket ${op.ticketId ?? ""} (if every ticket is reported missing, check that baseUrl ${baseUrl} is the account's https://<subdomain>.zendesk.com).`,
      details: details(false),
    });
  }
  // 409: another update of the same ticket won the race; Zendesk applied nothing.
  if (status === 429 || status === 409 || status >= 500) {
    return ticketingBusyError("Zendesk", response, op);
  }
  return new VerityError("TICKETING_ERROR", {
    message: `Zendesk refused to ${op.label} (HTTP ${status}${quoted}).${status === 422 && op.kind === "note" ? " A closed ticket, or one at its 5,000-comment limit, takes no more comments." : ""}`,
    details: details(false),
  });
}

/** A 2xx whose body Verity could not read. */
export function zendeskUnreadable(op: ZendeskOperation, baseUrl: string): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `Zendesk's answer when trying to ${op.label} was not understood. Check that baseUrl (${baseUrl}) is the account's https://<subdomain>.zendesk.com.`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}
