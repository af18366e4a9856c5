import assert from "node:assert/strict";
import { it } from "node:test";
import { runSoak } from "../../bench/soak-run.js";

/**
 * Issue 13, the short soak for CI: 20 verifications at once for 20 s against `verity serve` (its
 * own process), 5 % of Twilio and Graph calls failing (429 with and without Retry-After, 5xx,
 * resets, hangs). `npm run soak` is the long one. Nothing lost, nothing sent twice, nothing left
 * open, the chain verifies, and faults really happened.
 */
it("a short soak with injected upstream faults loses nothing, sends nothing twice, leaves nothing open", { timeout: 240_000 }, async () => {
  const report = await runSoak({ seconds: 20, concurrency: 20, faultRate: 0.05 });
  const summary = JSON.stringify({ ...report, chainOutput: report.chainOutput.slice(0, 300) });
  assert.ok(Object.values(report.faults).reduce((a, b) => a + b, 0) > 0, `no fault was injected: ${summary}`);
  assert.ok(report.verified > 20, `too few verifications went through: ${summary}`);
  assert.equal(report.lostEvents, 0, summary);
  assert.equal(report.duplicateMessages, 0, summary);
  assert.equal(report.stuck, 0, summary);
  assert.equal(report.chainVerified, true, summary);
});
