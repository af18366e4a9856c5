import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decidePolicy } from "../../src/domain/policy.js";
import { decideLimit } from "../../src/domain/rate-limit.js";

describe("risk policy", () => {
  const policy = { default: "warn" as const, rules: { privileged: "second_method" as const, recent_security_info_change: "block" as const } };

  it("allows when nothing is risky", () => {
    assert.deepEqual(decidePolicy([], policy), { action: "allow", reasons: [] });
  });

  it("takes the most severe action and lists every reason", () => {
    const decision = decidePolicy(
      [
        { code: "privileged", detail: "admin" },
        { code: "recent_security_info_change", detail: "new phone yesterday" },
        { code: "unknown_signal", detail: "?" },
      ],
      policy,
    );
    assert.equal(decision.action, "block");
    assert.deepEqual(
      decision.reasons.map((r) => [r.code, r.action]),
      [
        ["privileged", "second_method"],
        ["recent_security_info_change", "block"],
        ["unknown_signal", "warn"],
      ],
    );
  });

  it("omits signals the policy allows from the reasons", () => {
    const decision = decidePolicy([{ code: "privileged", detail: "admin" }], { default: "warn", rules: { privileged: "allow" } });
    assert.deepEqual(decision, { action: "allow", reasons: [] });
  });
});

describe("rate-limit decision", () => {
  const now = new Date("2026-11-23T10:00:00Z");
  const ago = (s: number) => new Date(now.getTime() - s * 1000);

  it("allows below the limit and ignores events outside the window", () => {
    assert.deepEqual(decideLimit({ max: 3, windowSeconds: 900 }, [ago(10), ago(20), ago(2000)], now), { allowed: true });
  });

  it("refuses at the limit and says when the oldest counted event leaves the window", () => {
    const decision = decideLimit({ max: 3, windowSeconds: 900 }, [ago(100), ago(600), ago(800)], now);
    assert.deepEqual(decision, { allowed: false, retryAfterSeconds: 100 });
  });

  it("with more events than the limit, waits until enough have aged out", () => {
    const decision = decideLimit({ max: 2, windowSeconds: 60 }, [ago(5), ago(10), ago(50)], now);
    assert.deepEqual(decision, { allowed: false, retryAfterSeconds: 50 });
  });
});
