import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isVerityError } from "../../src/domain/errors.js";
import {
  canTake,
  isTerminal,
  statesAccepting,
  TERMINAL_STATES,
  transition,
  VERIFICATION_STATES,
  type VerificationEvent,
} from "../../src/domain/verification.js";

const EVENTS: VerificationEvent[] = [
  "delivered",
  "delivery_failed",
  "delivery_ambiguous",
  "delivery_confirmed",
  "resend",
  "approved",
  "denied",
  "attempts_exhausted",
  "expire",
  "cancel",
  "fail",
];

describe("verification state machine", () => {
  it("follows the documented life cycle", () => {
    assert.equal(transition("pending", "delivered"), "sent");
    assert.equal(transition("pending", "delivery_ambiguous"), "delivery_unknown");
    assert.equal(transition("pending", "delivery_failed"), "failed");
    assert.equal(transition("sent", "approved"), "verified");
    assert.equal(transition("sent", "attempts_exhausted"), "rejected");
    assert.equal(transition("sent", "denied"), "rejected");
    assert.equal(transition("sent", "resend"), "pending");
    assert.equal(transition("sent", "expire"), "expired");
    assert.equal(transition("sent", "cancel"), "cancelled");
    assert.equal(transition("delivery_unknown", "resend"), "pending");
    assert.equal(transition("delivery_unknown", "approved"), "verified");
    assert.equal(transition("delivery_unknown", "delivery_confirmed"), "sent");
  });

  it("refuses every event in a terminal state with INVALID_TRANSITION", () => {
    for (const state of TERMINAL_STATES) {
      for (const event of EVENTS) {
        assert.throws(
          () => transition(state, event),
          (e: unknown) => isVerityError(e) && e.code === "INVALID_TRANSITION" && e.status === 409,
        );
      }
    }
  });

  it("cannot approve a verification whose message is still being sent", () => {
    assert.throws(() => transition("pending", "approved"), /cannot take the event 'approved'/);
    assert.equal(canTake("pending", "approved"), false);
  });

  it("derives the WHERE states of conditional updates from the same table", () => {
    assert.deepEqual(statesAccepting("approved").sort(), ["delivery_unknown", "sent"]);
    assert.deepEqual(statesAccepting("resend").sort(), ["delivery_unknown", "sent"]);
    assert.deepEqual(statesAccepting("expire").sort(), ["delivery_unknown", "pending", "sent"]);
    for (const event of EVENTS) {
      for (const state of VERIFICATION_STATES) assert.equal(statesAccepting(event).includes(state), canTake(state, event));
    }
  });

  it("marks exactly the five outcome states terminal", () => {
    assert.deepEqual(VERIFICATION_STATES.filter(isTerminal).sort(), ["cancelled", "expired", "failed", "rejected", "verified"]);
  });
});
