import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { ticketingBusyError, ticketingTransportError } from "../shared/ticketing-errors.js";
import { jiraErrorMessage } from "./jira-schemas.js";

const VENDOR = "Jira Service Management";

/** What the client was doing, for messages an administrator can act on. */
export interface JsmOperation {
  /** e.g. "read request ABC-12", "add an internal comment to ABC-12". */
  readonly label: string;
  readonly kind: "request" | "comments" | "note" | "user" | "test";
  readonly ticket?: string;
}

const PERMISSION: Record<JsmOperation["kind"], string> = {
  request: "view the request (the Service Desk Team role on its service project)",
  comments: "view the request's comments (the Service Desk Team role on its service project)",
  note: "add internal comments (the Service Desk Team role on the service project, with a Jira Service Management agent licence)",
  user: "browse users and groups (the global 'Browse users and groups' permission)",
  test: "use Jira and Jira Service Management",
};

/** A call that got no answer. Only an ambiguous failure of a note may have created the comment. */
export function jsmTransportError(error: OutboundError, op: JsmOperation): VerityError {
  return ticketingTransportError(VENDOR, error, op);
}

/** Maps a Jira answer other than success to a registered error. */
export function jsmApiError(response: OutboundResponse, op: JsmOperation, siteUrl: string): VerityError {
  const said = jiraErrorMessage(response.text);
  const quoted = said === undefined ? "" : `: ${said}`;
  const status = response.status;
  const note = op.kind === "note";
  const details = (ambiguous: boolean) => ({ operation: op.kind, status, ...(note ? { ambiguous } : {}) });

  if (status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${VENDOR} refused Verity's credentials while trying to ${op.label} (HTTP 401${quoted}). Check the account's email and API token (tokens expire; create a new one at id.atlassian.com), and that the account is active on ${siteUrl}.`,
      details: details(false),
    });
  }
  if (status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${VENDOR} refused to ${op.label} (HTTP 403${quoted}). The account Verity uses needs permission to ${PERMISSION[op.kind]}.`,
      details: details(false),
    });
  }
  if (status === 404 && (op.kind === "request" || op.kind === "comments" || op.kind === "note")) {
    return new VerityError("TICKET_NOT_FOUND", {
      message: `${VENDOR} has no request ${op.ticket ?? ""} that Verity's account can see (it must be an issue in a service project on ${siteUrl}, and the account needs the Service Desk Team role there).`,
      details: details(false),
    });
  }
  if (status === 429 || status >= 500) {
    return ticketingBusyError(VENDOR, response, op);
  }
  return new VerityError("TICKETING_ERROR", {
    message: `${VENDOR} refused to ${op.label} (HTTP ${status}${quoted}).${note ? " Check that the request is not closed to comments and that the account is an agent on its service project." : ""}`,
    details: details(false),
  });
}

/** A 2xx whose body Verity could not read. */
export function jsmUnreadable(op: JsmOperation, siteUrl: string): VerityError {
  return new VerityError("TICKETING_ERROR", {
    message: `${VENDOR}'s answer when trying to ${op.label} was not understood. Check that siteUrl (${siteUrl}) is the Jira Cloud site, https://<site>.atlassian.net.`,
    details: { operation: op.kind, ...(op.kind === "note" ? { ambiguous: false } : {}) },
  });
}
