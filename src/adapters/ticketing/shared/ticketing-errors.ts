import { VerityError } from "../../../domain/errors.js";
import type { OutboundError, OutboundResponse } from "../../http/outbound.js";
import { CircuitOpenError, retryAfterMs } from "../../http/outbound.js";

/** What a ticketing client was doing: `label` for messages ("read ticket 42"), `kind` "note" for a note's post. */
export interface TicketingOperation {
  readonly label: string;
  readonly kind: string;
}

/**
 * A call that got no answer (timeout, reset, refused connection): TICKETING_UNAVAILABLE, which
 * the note job retries. For a note, `details.ambiguous` says whether it may have been created.
 * A call the vendor's open circuit refused was never sent; the job waits until the probe.
 */
export function ticketingTransportError(vendor: string, error: OutboundError, op: TicketingOperation): VerityError {
  if (error instanceof CircuitOpenError) {
    return new VerityError("TICKETING_UNAVAILABLE", {
      message: `Verity did not try to ${op.label}: ${error.message}`,
      details: op.kind === "note" ? { operation: op.kind, ambiguous: false, circuit: "open" } : { operation: op.kind, circuit: "open" },
      retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
      cause: error,
    });
  }
  return new VerityError("TICKETING_UNAVAILABLE", {
    message: `${vendor} did not answer while trying to ${op.label}: ${error.message}`,
    details: op.kind === "note" ? { operation: op.kind, ambiguous: error.kind === "ambiguous" } : { operation: op.kind },
    cause: error,
  });
}

/**
 * An answer that says "not now" (429, 5xx, or another status the vendor uses so): retryable,
 * with the answer's Retry-After. A note's 5xx may have been written (`ambiguous`); a 429 was not.
 * `quoted` follows the status (": what the vendor said"); `hint` follows the operation.
 */
export function ticketingBusyError(vendor: string, response: OutboundResponse, op: TicketingOperation, words: { quoted?: string; hint?: string } = {}): VerityError {
  const status = response.status;
  const waitMs = retryAfterMs(response.headers["retry-after"]);
  return new VerityError("TICKETING_UNAVAILABLE", {
    message: `${vendor} answered HTTP ${status}${words.quoted ?? ""} while trying to ${op.label}${words.hint ?? ""}; try again shortly.`,
    details: { operation: op.kind, status, ...(op.kind === "note" ? { ambiguous: status >= 500 } : {}) },
    ...(waitMs === undefined ? {} : { retryAfterSeconds: Math.ceil(waitMs / 1000) }),
  });
}
