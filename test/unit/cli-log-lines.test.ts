import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLogLine } from "../../src/cli/log-lines.js";

describe("the CLI's log lines (issue 13)", () => {
  it("turns pino's JSON warnings and errors into one line a person reads", () => {
    const line = formatLogLine(JSON.stringify({ level: 40, time: 1, pid: 9, hostname: "h", service: "verity", verificationId: "v-1", failures: 2, msg: "push poll failed; will retry until the deadline" }));
    assert.equal(line, "verity: warning: push poll failed; will retry until the deadline (verificationId=v-1, failures=2)");
    const error = formatLogLine(JSON.stringify({ level: 50, msg: "expiry sweep failed", err: { type: "Error", message: "database is locked", stack: "Error: database is locked\n    at x" } }));
    assert.equal(error, "verity: error: expiry sweep failed (error=database is locked)");
    assert.ok(!error.includes("at x"), "no stack trace");
  });

  it("drops what is below a warning, and keeps a line that is not JSON as it is", () => {
    assert.equal(formatLogLine(JSON.stringify({ level: 30, msg: "info" })), null);
    assert.equal(formatLogLine(""), null);
    assert.equal(formatLogLine("plain text"), "plain text");
  });

  it("shows no nested objects (where a careless field could hide something)", () => {
    const line = formatLogLine(JSON.stringify({ level: 40, msg: "m", detail: { to: "+447700900123" } }));
    assert.equal(line, "verity: warning: m");
  });
});
