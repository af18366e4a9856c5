import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { MessageChannel, OutboundMessage, PushProvider } from "../../src/domain/ports.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { findVerificationByOrigin } from "../../src/store/verification-dal.js";
import { createEngineWith, waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { TECHNICIAN } from "../helpers/runtime.js";

/** A channel that records sends; `hold` makes the next send wait until released. */
function channel(): MessageChannel & { sent: OutboundMessage[]; hold(): () => void } {
  const sent: OutboundMessage[] = [];
  let gate: Promise<void> | null = null;
  return {
    name: "mem",
    developmentOnly: false,
    channels: ["sms"],
    sent,
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return release;
    },
    async send(message) {
      sent.push(message);
      const waiting = gate;
      gate = null;
      if (waiting !== null) await waiting;
      return { providerRef: `SM${sent.length}` };
    },
  };
}

/** Two instances (engines with their own connections) over one SQLite file. */
async function twoInstances(a: { channel: MessageChannel } | { provider: PushProvider }, b: { channel: MessageChannel } | { provider: PushProvider }) {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), "verity-idem-")), "v.db")}`;
  return [await createEngineWith({ ...a, databaseUrl: url }), await createEngineWith({ ...b, databaseUrl: url })] as const;
}

/** A push provider that counts starts; `hang` makes starts never answer. */
function pushProvider(hang: boolean): PushProvider & { starts: number } {
  const p = {
    name: "hanging",
    kind: "hanging",
    developmentOnly: false,
    starts: 0,
    startPush: () => {
      p.starts += 1;
      return hang ? new Promise<never>(() => {}) : Promise.resolve({ transactionRef: "tx" });
    },
    pollPush: () => Promise.resolve({ outcome: "waiting" as const }),
    cancelPush: () => Promise.resolve(),
  };
  return p;
}

const ADMIN = { ...TECHNICIAN, id: "halopsa:test", role: "admin" as const };
const start = (e: Awaited<ReturnType<typeof createEngineWith>>, key: string) =>
  e.engine.start(ADMIN, { user: TEST_USERS.jane.upn, method: "sms", ticket: "4242" }, { idempotencyKey: key });

describe("a start with an idempotency key (an integration's retried job)", () => {
  it("returns the verification the first run made and sends nothing more", async () => {
    const c = channel();
    const e = await createEngineWith({ channel: c });
    try {
      const first = await start(e, "halopsa:halo:delivery-1");
      const again = await start(e, "halopsa:halo:delivery-1");
      assert.equal(again.id, first.id);
      assert.equal(again.state, "sent");
      assert.equal(c.sent.length, 1, "one text");
      const other = await start(e, "halopsa:halo:delivery-2");
      assert.notEqual(other.id, first.id, "another delivery is another verification");
      const started = (await listAuditEvents(e.handle.db, { limit: 50 })).filter((x) => x.action === "verification.started");
      assert.equal(started.length, 2);
    } finally {
      await e.close();
    }
  });

  it("never sends again after a run that died mid-send: the verification goes to delivery_unknown", async () => {
    const dying = channel();
    const survivor = channel();
    const [a, b] = await twoInstances({ channel: dying }, { channel: survivor });
    try {
      // Instance A records the start and hands the text to the carrier, then stops answering.
      const release = dying.hold();
      const inFlight = start(a, "halopsa:halo:delivery-9");
      await waitFor(() => dying.sent.length === 1 || undefined);
      assert.equal((await findVerificationByOrigin(b.handle.db, "halopsa:halo:delivery-9"))?.state, "pending");
      // Instance B runs the same job again (A's lease ran out).
      const retried = await start(b, "halopsa:halo:delivery-9");
      assert.equal(retried.state, "delivery_unknown");
      assert.match(retried.stateReason ?? "", /interrupted while sending/);
      assert.equal(survivor.sent.length, 0, "the retry sent nothing");
      // A's carrier answers late: the text did go, and the code in it still proves possession.
      release();
      await inFlight;
      const code = dying.sent[0]?.text.match(/\b(\d{6})\b/)?.[1] ?? "";
      const checked = await b.engine.check(ADMIN, retried.id, code);
      assert.equal(checked.outcome, "verified");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("makes one verification and one text when two instances run the same job at once", async () => {
    const ca = channel();
    const cb = channel();
    const [a, b] = await twoInstances({ channel: ca }, { channel: cb });
    try {
      const results = await Promise.all([start(a, "halopsa:halo:delivery-7"), start(b, "halopsa:halo:delivery-7"), start(a, "halopsa:halo:delivery-7")]);
      assert.equal(new Set(results.map((v) => v.id)).size, 1);
      assert.equal(ca.sent.length + cb.sent.length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("fails, rather than re-sends, a push whose first run died before the provider answered", async () => {
    const dying = pushProvider(true);
    const survivor = pushProvider(false);
    const [a, b] = await twoInstances({ provider: dying }, { provider: survivor });
    try {
      void a.engine.start(ADMIN, { user: TEST_USERS.jane.upn, method: "hanging-push", ticket: "4242" }, { idempotencyKey: "halopsa:halo:push-1" });
      await waitFor(() => dying.starts === 1 || undefined);
      const retried = await b.engine.start(ADMIN, { user: TEST_USERS.jane.upn, method: "hanging-push", ticket: "4242" }, { idempotencyKey: "halopsa:halo:push-1" });
      assert.equal(retried.state, "failed");
      assert.match(retried.stateReason ?? "", /interrupted while starting the push.*start a new verification/);
      assert.equal(survivor.starts, 0, "no second push");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
