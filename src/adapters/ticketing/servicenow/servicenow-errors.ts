import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import { snowErrorMessage } from "./servicenow-schemas.js";

/** What the client was doing, for messages an administrator can act on. */
export interface SnowOperation {
  /** e.g. "read incident INC0010001", "add a work note to INC0010001". */
  readonly label: string;
  readonly kind: "ticket" | "user" | "journal" | "note" | "test";
  /** The table the call reads or writes, for the ACL to check. */
  readonly table: string;
}

const NEEDS: Record<SnowOperation["kind"], (table: string) => string> = {
  ticket: (t) => `read access to ${t}`,
  user: () => "read access to sys_user (name, email, user_name)",
  journal: () => "read access to sys_journal_field",
  note: (t) => `write access to ${t}.work_notes`,
  test: (t) => `read access to ${t}`,
};

/** A call that got no answer. Only a note may have been written anyway (a timeout, a reset). */
export function snowTransportError(error: OutboundError, op: SnowOperation): VerityError {
  return ticketingTransportError("ServiceNow", error, op);
}

/**
 * Maps a ServiceNow answer other than success (the `{"error":{message,detail},"status":"failure"}`
 * envelope) to a registered error. 401 arrives here only after a fresh token was refused too.
 * A 404 is TICKET_NOT_FOUND only where it names a record (a read or write by sys_id); lists use
 * the v2 path, which answers an empty query with 200 and `[]` rather than v1's 404.
 */
export function snowApiError(response: OutboundResponse, op: SnowOperation, instanceUrl: string): VerityError {
  const said = snowErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const { status } = response;
  const note = op.kind === "note";
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(note ? { ambiguous } : {}) });

  if (status === 401 || status === 403) {
    const fix =
      status === 401
        ? "Check the integration user's credentials (or the OAuth client and its OAuth Application User) and that the account is active and not locked out."
        : `Give the integration user ${NEEDS[op.kind](op.table)} (a role such as itil, or a custom role with those ACLs).`;
    return new VerityError("UPSTREAM_AUTH_FAILED", { message: `ServiceNow refused to ${op.label} (HTTP ${status}${quoted}). ${fix}`, details: details(false) });
  }
  if (status === 404 && (op.kind === "ticket" || op.kind === "note")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `ServiceNow has no such record when trying to ${op.label}${quoted} (if every ticket is reported missing, check instanceUrl ${instanceUrl} and the integration user's read ACLs).`,
      details: details(false),
    });
  }
  if (status === 429 || status >= 500) {
    return ticketingBusyError("ServiceNow", response, op, { quoted });
  }
  return new VerityError("TICKETING_ERROR", { message: `ServiceNow refused to ${op.label} (HTTP ${status}${quoted}).`, details: details(false) });
}

/** A 2xx whose body Verity could not read (often a login page: a wrong instanceUrl or an SSO redirect). */
export function snowUnreadable(op: SnowOperation, instanceUrl: string): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `ServiceNow's answer when trying to ${op.label} was not understood. Check that instanceUrl (${instanceUrl}) is the instance itself, e.g. https://acme.service-now.com.`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}
