import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPushinfo, maskDigits, pushStatusFrom, PUSHINFO_MAX_BYTES, safeDuoText, verificationCodeFrom } from "../../../src/adapters/push/duo/duo-mapping.js";

describe("Duo mapping", () => {
  it("maps every documented auth_status status; only allow (not bypass) approves; bypass and lockout are failures, not denials", () => {
    const table: [string, string, string][] = [
      ["waiting", "pushed", "waiting"],
      ["waiting", "calling", "waiting"],
      ["waiting", "push_failed", "waiting"],
      ["allow", "allow", "approved"],
      ["allow", "bypass", "failed"],
      ["deny", "deny", "denied"],
      ["deny", "fraud", "fraud"],
      ["deny", "timeout", "timeout"],
      ["deny", "locked_out", "failed"],
      ["deny", "sent", "denied"],
      ["deny", "something new", "denied"],
    ];
    for (const [result, status, outcome] of table) {
      assert.equal(pushStatusFrom({ result: result as "allow" | "deny" | "waiting", status }).outcome, outcome, `${result}/${status}`);
    }
  });

  it("masks all but the last four digits of a number, leaving Duo's masked form and short numbers alone", () => {
    assert.equal(maskDigits("iOS (XXX-XXX-0100)"), "iOS (XXX-XXX-0100)");
    assert.equal(maskDigits("call +1 (555) 123-4567 now"), "call +X (XXX) XXX-4567 now");
    assert.equal(maskDigits("ticket 1042, code 376"), "ticket 1042, code 376");
  });

  it("makes Duo's text one bounded line", () => {
    assert.equal(safeDuoText("a\nb\u0007c"), "a b c");
    assert.equal([...(safeDuoText("x".repeat(500)) ?? "")].length, 200);
    assert.equal(safeDuoText("   "), undefined);
  });

  it("finds the Verified Push code in /preauth or in a status message", () => {
    assert.equal(verificationCodeFrom(undefined, "Please enter verification code 708 into Duo Mobile..."), "708");
    assert.equal(verificationCodeFrom({ result: "auth", devices: [], verification_code: 4321 }, undefined), "4321");
    assert.equal(verificationCodeFrom(undefined, "Pushed a login request to your device..."), undefined);
  });

  it("builds pushinfo in a fixed order and bounds it in bytes, never splitting a character", () => {
    const context = { organisation: "Acme", technician: "Alice Agent", ticket: "1042" };
    assert.equal(buildPushinfo(context, "Hi there!"), "Organisation=Acme&Technician=Alice&Ticket=1042&Message=Hi%20there%21");
    const long = buildPushinfo(context, "🔐".repeat(10_000));
    assert.ok(Buffer.byteLength(long) <= PUSHINFO_MAX_BYTES);
    const message = new URLSearchParams(long).get("Message") ?? "";
    assert.ok(message.endsWith("…"));
    assert.ok(!message.includes("\uFFFD"), "no broken surrogate pair");
  });
});
