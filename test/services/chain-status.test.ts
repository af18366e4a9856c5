import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AnchoredChainReport } from "../../src/services/audit-verify.js";
import { createChainStatus } from "../../src/services/chain-status.js";
import { createFakeClock } from "../helpers/clock.js";

const report = (seq: number): AnchoredChainReport => ({
  ok: true,
  count: seq,
  head: { seq, hash: "h".repeat(64) },
  problem: null,
  anchor: null,
  anchorsChecked: 0,
  anchorFiles: [],
  anchorLines: [],
});

/** A verifier whose checks finish when the test says, like a long chain would. */
function slowVerifier() {
  const pending: { resolve: (r: AnchoredChainReport) => void; reject: (e: Error) => void }[] = [];
  return {
    calls: () => pending.length,
    finish: (seq: number) => pending.at(-1)?.resolve(report(seq)),
    fail: (message: string) => pending.at(-1)?.reject(new Error(message)),
    verify: () => new Promise<AnchoredChainReport>((resolve, reject) => pending.push({ resolve, reject })),
  };
}

describe("the chain status pages show", () => {
  const quiet = { warn: () => undefined };

  it("never makes a page wait for a long check, and runs one check however many pages ask", async () => {
    const verifier = slowVerifier();
    const clock = createFakeClock();
    const status = createChainStatus({ verifier, clock, log: quiet }, { waitMs: 5 });
    const started = performance.now();
    const [a, b] = await Promise.all([status.current(10), status.current(10)]);
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(a, { verdict: null, checking: true, failure: null });
    assert.deepEqual(b, a);
    assert.equal(verifier.calls(), 1);
    verifier.finish(10);
    await new Promise((r) => setImmediate(r));
    const now = await status.current(10);
    assert.equal(now.verdict?.report.head.seq, 10);
    assert.equal(now.verdict?.checkedAt, "2026-11-23T09:00:00.000Z", "when the check started");
    assert.equal(now.checking, false);
    assert.equal(verifier.calls(), 1, "a fresh verdict that covers the events is reused");
  });

  it("checks again when the verdict is old, or (not too often) when newer events need it", async () => {
    const verifier = slowVerifier();
    const clock = createFakeClock();
    const status = createChainStatus({ verifier, clock, log: quiet }, { maxAgeMs: 60_000, minIntervalMs: 5_000, waitMs: 50 });
    const first = status.current(5);
    verifier.finish(5);
    assert.equal((await first).verdict?.report.head.seq, 5);

    const behind = await status.current(7);
    assert.equal(behind.verdict?.report.head.seq, 5);
    assert.equal(verifier.calls(), 1, "not within five seconds of the last check");
    clock.advance(5_000);
    const again = status.current(7);
    verifier.finish(7);
    assert.equal((await again).verdict?.report.head.seq, 7);
    assert.equal(verifier.calls(), 2);

    clock.advance(59_999);
    await status.current();
    assert.equal(verifier.calls(), 2);
    clock.advance(1);
    const stale = status.current();
    verifier.finish(8);
    assert.equal((await stale).verdict?.checkedAt, clock.now().toISOString());
  });

  it("says why a check could not run, keeping the last verdict", async () => {
    const verifier = slowVerifier();
    const clock = createFakeClock();
    const status = createChainStatus({ verifier, clock, log: quiet }, { waitMs: 50 });
    const first = status.current();
    verifier.finish(3);
    await first;
    clock.advance(60_000);
    const failed = status.current();
    verifier.fail("database is locked");
    const now = await failed;
    assert.equal(now.failure, "database is locked");
    assert.equal(now.verdict?.report.head.seq, 3);
  });
});
