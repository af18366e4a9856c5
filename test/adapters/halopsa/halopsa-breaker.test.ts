import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type FakeHalo, startFakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { haloClient, rejectsWith } from "./halo-test-setup.js";

/** SECURITY.md R2 for a PSA: while HaloPSA is down, notes wait without a request each. */
describe("HaloPSA client: circuit breaker", () => {
  const fakes: FakeHalo[] = [];
  after(() => Promise.all(fakes.map((f) => f.close())));

  it("after 5 failed calls sends HaloPSA nothing for 30 s, says the note certainly does not exist and when to retry, then probes", async () => {
    const halo = await startFakeHalo();
    fakes.push(halo);
    let now = Date.parse("2026-12-07T09:00:00Z");
    const { client, logs } = haloClient(halo, {}, { now: () => new Date(now) }, { maxRetries: 0 });
    try {
      await client.getTicket(4242);
      halo.fail("down");
      for (let i = 0; i < 5; i += 1) {
        const error = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: `<p>note ${i}</p>` }), "TICKETING_UNAVAILABLE");
        assert.deepEqual(error.details, { operation: "note", status: 503, ambiguous: true });
      }
      const sent = halo.requests.length;
      now += 10_000;
      const refused = await rejectsWith(client.addPrivateNote({ ticketId: 4242, html: "<p>note 5</p>" }), "TICKETING_UNAVAILABLE");
      assert.equal(refused.retryable, true, "the note job retries it");
      assert.equal(refused.retryAfterSeconds, 20, "at the probe");
      assert.deepEqual(refused.details, { operation: "note", ambiguous: false, circuit: "open" });
      assert.match(refused.message, /^Verity did not try to .*HaloPSA failed repeatedly, so Verity is not calling it for 20 s\.$/);
      await rejectsWith(client.getTicket(4242), "TICKETING_UNAVAILABLE");
      assert.equal(halo.requests.length, sent, "HaloPSA saw no request while the circuit was open");

      halo.heal();
      now += 20_000;
      await client.addPrivateNote({ ticketId: 4242, html: "<p>after</p>" });
      assert.equal(halo.notes(4242).filter((n) => n.note_html === "<p>after</p>").length, 1);
      assert.ok(logs.some((line) => line.includes('"circuit":"open"') && line.includes('"service":"HaloPSA"')));
      assert.ok(logs.some((line) => line.includes('"circuit":"closed"') && line.includes('"service":"HaloPSA"')));
    } finally {
      await client.close();
    }
  });
});
