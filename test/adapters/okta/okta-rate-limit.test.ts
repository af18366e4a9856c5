import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_POLL_DELAY_MS, pollDelayMs, readRateLimit } from "../../../src/adapters/okta-shared/okta-rate-limit.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { createFakeClock } from "../../helpers/clock.js";
import { JANE, pushRequest, shown, startOktaKit } from "./okta-kit.js";

const NOW = Date.parse("2026-11-23T09:00:00Z");
const headers = (remaining: number, resetInSeconds = 60, limit = 100): Record<string, string> => ({
  "x-rate-limit-limit": String(limit),
  "x-rate-limit-remaining": String(remaining),
  "x-rate-limit-reset": String(NOW / 1000 + resetInSeconds),
});

describe("Okta rate-limit pacing (pure)", () => {
  it("leaves the pace alone while at least half the budget is left, or without headers", () => {
    assert.equal(pollDelayMs(readRateLimit(headers(50), NOW), 750), undefined);
    assert.equal(pollDelayMs(readRateLimit({}, NOW), 750), undefined);
    assert.equal(pollDelayMs(readRateLimit({ "x-rate-limit-remaining": "oops", "x-rate-limit-reset": "1" }, NOW), 750), undefined);
  });

  it("spreads what is left (less a reserve) until Reset, so the wait grows as Remaining falls", () => {
    const delays = [49, 40, 30, 20, 15, 12, 11].map((remaining) => pollDelayMs(readRateLimit(headers(remaining), NOW), 750) ?? 0);
    assert.deepEqual(delays, [1539, 2000, 3000, 6000, 12_000, 30_000, 60_000]);
  });

  it("waits until just after Reset when only the reserve is left, and never longer than a minute", () => {
    assert.equal(pollDelayMs(readRateLimit(headers(10, 20), NOW), 750), 21_000);
    assert.equal(pollDelayMs(readRateLimit(headers(0, 600), NOW), 750), MAX_POLL_DELAY_MS);
    assert.equal(pollDelayMs(readRateLimit(headers(40, 0), NOW), 750), 750);
  });

  it("measures time to Reset on Okta's clock (the Date header), not ours", () => {
    const skewed = readRateLimit({ ...headers(20, 30), date: new Date(NOW).toUTCString() }, NOW + 25_000);
    assert.equal(skewed?.nowMs, NOW);
    assert.equal(pollDelayMs(skewed, 750), 30_000 / 10);
  });
});

describe("Okta rate limits against the fake org", () => {
  it("slows polling as X-Rate-Limit-Remaining falls, then turns a 429 into PROVIDER_UNAVAILABLE until Reset", async () => {
    const clock = createFakeClock(new Date("2026-11-23T09:00:00.000Z"));
    const kit = await startOktaKit({ now: () => clock.now().getTime(), rateLimit: { limit: 40, windowSeconds: 60 } });
    try {
      kit.fake.setCaller(JANE, { action: "ignore" });
      const okta = kit.provider({}, clock);
      const started = await okta.startPush(pushRequest(JANE));
      const paces: (number | undefined)[] = [];
      for (;;) {
        try {
          paces.push((await okta.pollPush(started.transactionRef)).nextPollAfterMs);
        } catch (error) {
          assert.ok(isVerityError(error));
          assert.equal(error.code, "PROVIDER_UNAVAILABLE");
          assert.equal(error.retryable, true);
          assert.equal(error.retryAfterSeconds, 60);
          assert.match(error.message, /rate limit is used up \(E0000047\).*resets in about 60 s/);
          break;
        }
        assert.ok(paces.length < 50, "the budget should run out");
      }
      const comfortable = paces.filter((p) => p === undefined).length;
      const paced = paces.slice(comfortable) as number[];
      assert.ok(comfortable >= 15 && paced.length >= 15, `paces: ${JSON.stringify(paces)}`);
      assert.ok(paced.every((p, i) => i === 0 || p >= (paced[i - 1] ?? 0)), `never speeds up: ${JSON.stringify(paced)}`);
      assert.ok((paced.at(-1) ?? 0) > 10 * (paced[0] ?? 0), `grows a lot as the budget runs out: ${JSON.stringify(paced)}`);
      assert.equal(paced.at(-1), MAX_POLL_DELAY_MS);

      clock.advance(61_000);
      const fresh = await okta.pollPush(started.transactionRef);
      assert.deepEqual(fresh, { outcome: "waiting" });
    } finally {
      await kit.close();
    }
  });

  it("refuses to start a push while the budget is spent, saying when to retry", async () => {
    const kit = await startOktaKit({ rateLimit: { limit: 100, windowSeconds: 30 } });
    try {
      kit.fake.setRateLimitRemaining(0);
      const okta = kit.provider();
      await assert.rejects(okta.startPush(pushRequest(JANE)), (e) => {
        assert.ok(isVerityError(e));
        assert.equal(e.code, "PROVIDER_UNAVAILABLE");
        assert.ok((e.retryAfterSeconds ?? 0) >= 1 && (e.retryAfterSeconds ?? 0) <= 31, shown(e));
        return true;
      });
      assert.equal(kit.fake.transactions.length, 0);
    } finally {
      await kit.close();
    }
  });
});
