import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCircuitBreaker } from "../../src/adapters/http/circuit-breaker.js";

class Outage extends Error {}
class Refused extends Error {}

describe("circuit breaker", () => {
  const setup = () => {
    let now = 1_000_000;
    const changes: string[] = [];
    const breaker = createCircuitBreaker({ now: () => now, failures: 5, windowMs: 10_000, openMs: 30_000, probeWaitMs: 10_000, onChange: (to, from) => changes.push(`${from}>${to}`) });
    let calls = 0;
    const run = (outcome: "ok" | "outage" | "refused") =>
      breaker.run(
        () => {
          calls += 1;
          return outcome === "ok" ? Promise.resolve("ok") : Promise.reject(outcome === "outage" ? new Outage() : new Error("this request only"));
        },
        (e) => e instanceof Outage,
        (ms) => new Refused(`open for ${ms} ms`),
      );
    return { breaker, run, advance: (ms: number) => (now += ms), calls: () => calls, changes };
  };

  it("opens after 5 outages within 10 s and then refuses without calling", async () => {
    const b = setup();
    for (let i = 0; i < 5; i += 1) {
      await assert.rejects(b.run("outage"), Outage);
      b.advance(1000);
    }
    assert.equal(b.breaker.state, "open");
    await assert.rejects(b.run("ok"), (e: Error) => e instanceof Refused && /open for 29000 ms/.test(e.message));
    assert.equal(b.calls(), 5, "no call while open");
  });

  it("does not open for outages spread wider than the window, or for refusals of one request", async () => {
    const b = setup();
    for (let i = 0; i < 10; i += 1) {
      await assert.rejects(b.run("outage"), Outage);
      b.advance(2600);
    }
    for (let i = 0; i < 10; i += 1) await assert.rejects(b.run("refused"));
    assert.equal(b.breaker.state, "closed");
  });

  it("a success clears the count", async () => {
    const b = setup();
    for (let i = 0; i < 4; i += 1) await assert.rejects(b.run("outage"));
    assert.equal(await b.run("ok"), "ok");
    for (let i = 0; i < 4; i += 1) await assert.rejects(b.run("outage"));
    assert.equal(b.breaker.state, "closed");
  });

  it("lets one probe through after 30 s: failure reopens, success closes", async () => {
    const b = setup();
    for (let i = 0; i < 5; i += 1) await assert.rejects(b.run("outage"));
    b.advance(30_000);
    assert.equal(b.breaker.state, "half-open");
    await assert.rejects(b.run("outage"), Outage);
    assert.equal(b.breaker.state, "open", "a failed probe opens it again at once");
    await assert.rejects(b.run("ok"), Refused);
    b.advance(30_000);
    assert.equal(await b.run("ok"), "ok");
    assert.equal(b.breaker.state, "closed");
  });

  it("refuses other calls while the probe is out", async () => {
    const b = setup();
    for (let i = 0; i < 5; i += 1) await assert.rejects(b.run("outage"));
    b.advance(30_000);
    let release = () => {};
    const probe = b.breaker.run(
      () => new Promise<string>((resolve) => (release = () => resolve("back"))),
      () => true,
      () => new Refused(),
    );
    await assert.rejects(b.run("ok"), Refused);
    release();
    assert.equal(await probe, "back");
    assert.equal(b.breaker.state, "closed");
  });

  it("lets a second probe through once the first has been out for probeWaitMs (a long poll), and the first then decides nothing", async () => {
    const b = setup();
    for (let i = 0; i < 5; i += 1) await assert.rejects(b.run("outage"));
    b.advance(30_000);
    let fail = () => {};
    const held = b.breaker.run(
      () => new Promise<string>((_resolve, reject) => (fail = () => reject(new Outage()))),
      (e) => e instanceof Outage,
      () => new Refused(),
    );
    b.advance(9_999);
    await assert.rejects(b.run("ok"), (e: Error) => e instanceof Refused && /open for 1 ms/.test(e.message));
    b.advance(1);
    assert.equal(await b.run("ok"), "ok", "a second probe once the first has been out 10 s");
    assert.equal(b.breaker.state, "closed");
    fail();
    await assert.rejects(held, Outage);
    assert.equal(b.breaker.state, "closed", "the late failure of the first probe does not reopen it");
    assert.deepEqual(b.changes, ["closed>open", "open>half-open", "half-open>closed"]);
  });
});
