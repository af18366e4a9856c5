import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VerityError } from "../../src/domain/errors.js";
import type { MessageChannel, OutboundMessage, PushOutcome, PushProvider, PushStatus } from "../../src/domain/ports.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { createEngineWith, waitFor, waitForFinal } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { TECHNICIAN } from "../helpers/runtime.js";

/** A channel whose next sends fail as scripted, recording every call. */
function scriptedChannel(script: (Error | "ok")[]): MessageChannel & { sent: OutboundMessage[] } {
  const sent: OutboundMessage[] = [];
  return {
    name: "scripted",
    developmentOnly: false,
    channels: ["sms"],
    sent,
    send(message) {
      sent.push(message);
      const next = script.shift() ?? "ok";
      return next === "ok" ? Promise.resolve({ providerRef: `SM${sent.length}` }) : Promise.reject(next);
    },
  };
}

const codeIn = (message: OutboundMessage | undefined) => message?.text.match(/\b(\d{6})\b/)?.[1] ?? "";

describe("delivery outcomes", () => {
  it("fails the verification when the provider refuses the message", async () => {
    const channel = scriptedChannel([new VerityError("CHANNEL_REJECTED", { message: "The number cannot receive texts." })]);
    const e = await createEngineWith({ channel });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.deepEqual([v.state, v.stateReason], ["failed", "The number cannot receive texts."]);
      const events = await listAuditEvents(e.handle.db, { verificationId: v.id, limit: 10 });
      assert.equal(events.at(-1)?.action, "message.send_failed");
    } finally {
      await e.close();
    }
  });

  it("never resends on its own after an ambiguous send; the right code still verifies", async () => {
    const channel = scriptedChannel([new VerityError("DELIVERY_UNKNOWN", { message: "Timed out after the request was sent." })]);
    const e = await createEngineWith({ channel });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.equal(v.state, "delivery_unknown");
      assert.equal(channel.sent.length, 1, "exactly one send attempt");
      const result = await e.engine.check(TECHNICIAN, v.id, codeIn(channel.sent[0]));
      assert.equal(result.outcome, "verified");
    } finally {
      await e.close();
    }
  });

  it("lets the technician resend after an ambiguous send", async () => {
    const channel = scriptedChannel([new VerityError("DELIVERY_UNKNOWN"), "ok"]);
    const e = await createEngineWith({ channel });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms" });
      const resent = await e.engine.resend(TECHNICIAN, v.id);
      assert.equal(resent.state, "sent");
      assert.equal(channel.sent.length, 2);
      assert.equal((await e.engine.check(TECHNICIAN, v.id, codeIn(channel.sent[1]))).outcome, "verified");
    } finally {
      await e.close();
    }
  });

  it("treats an unexpected adapter error as ambiguous and logs it", async () => {
    const channel = scriptedChannel([new TypeError("socket hang up")]);
    const e = await createEngineWith({ channel });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms" });
      assert.equal(v.state, "delivery_unknown");
      assert.ok(e.logs.some((l) => l.includes("unexpected error while sending")));
    } finally {
      await e.close();
    }
  });
});

/** A push provider whose polls answer from a script; a function entry waits for the test. */
function scriptedProvider(script: (PushOutcome | PushStatus | Error | (() => Promise<PushOutcome>))[]): PushProvider & { cancelled: string[]; polls: number } {
  const state = { cancelled: [] as string[], polls: 0 };
  return {
    name: "scripted",
    kind: "scripted",
    developmentOnly: false,
    pollIntervalMs: 5,
    get cancelled() {
      return state.cancelled;
    },
    get polls() {
      return state.polls;
    },
    startPush: () => Promise.resolve({ transactionRef: `tx-${crypto.randomUUID()}` }),
    async pollPush() {
      state.polls += 1;
      const next = script.length > 1 ? script.shift() : script[0];
      if (next === undefined) return { outcome: "waiting" };
      if (next instanceof Error) throw next;
      if (typeof next === "object") return next;
      return { outcome: typeof next === "function" ? await next() : next };
    },
    cancelPush(ref) {
      state.cancelled.push(ref);
      return Promise.resolve();
    },
  };
}

describe("push polling", () => {
  it("never takes a poll error for an answer, and keeps polling to the deadline", async () => {
    const provider = scriptedProvider([new VerityError("PROVIDER_UNAVAILABLE"), new Error("ECONNRESET"), "waiting"]);
    const e = await createEngineWith({ provider });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "scripted-push" });
      await waitFor(() => provider.polls >= 4);
      assert.equal((await e.engine.get(TECHNICIAN, v.id)).state, "sent");
      e.clock.advance(61_000);
      const final = await waitForFinal(e.engine, TECHNICIAN, v.id);
      assert.equal(final.state, "expired");
      assert.ok(e.logs.some((l) => l.includes("push poll failed")));
      assert.equal(provider.cancelled.length, 1, "the provider is told to drop the expired push");
    } finally {
      await e.close();
    }
  });

  it("verifies once the provider reports approval after errors", async () => {
    const provider = scriptedProvider([new Error("ETIMEDOUT"), "waiting", "approved"]);
    const e = await createEngineWith({ provider });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "scripted-push" });
      const final = await waitForFinal(e.engine, TECHNICIAN, v.id);
      assert.equal(final.state, "verified");
    } finally {
      await e.close();
    }
  });

  it("fails, not denies, when the provider ends the push for a reason someone must fix", async () => {
    const provider = scriptedProvider(["waiting", { outcome: "failed", detail: "The account is locked out at the provider; an administrator can unlock it" }]);
    const e = await createEngineWith({ provider });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "scripted-push" });
      const final = await waitForFinal(e.engine, TECHNICIAN, v.id);
      assert.equal(final.state, "failed");
      assert.match(final.stateReason ?? "", /locked out at the provider/);
      const events = await listAuditEvents(e.handle.db, { verificationId: v.id, limit: 20 });
      assert.equal(events.at(-1)?.action, "push.failed");
      assert.equal(events.at(-1)?.outcome, "failed");
    } finally {
      await e.close();
    }
  });

  it("fails the push after three permanent poll errors in a row, saying why, and drops the prompt", async () => {
    const revoked = new VerityError("UPSTREAM_AUTH_FAILED", { message: "The provider refused Verity's credentials; renew the API key." });
    const provider = scriptedProvider([revoked, revoked, revoked, "approved"]);
    const e = await createEngineWith({ provider });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "scripted-push" });
      const final = await waitForFinal(e.engine, TECHNICIAN, v.id);
      assert.equal(final.state, "failed");
      assert.match(final.stateReason ?? "", /^Verity stopped waiting: .*renew the API key/);
      assert.equal(provider.polls, 3, "no poll after the verdict");
      assert.equal(provider.cancelled.length, 1);
    } finally {
      await e.close();
    }
  });

  it("keeps polling through permanent errors that do not repeat three times in a row", async () => {
    const odd = new VerityError("PROVIDER_ERROR", { message: "An unreadable answer." });
    const provider = scriptedProvider([odd, odd, "waiting", odd, odd, "approved"]);
    const e = await createEngineWith({ provider });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "scripted-push" });
      const final = await waitForFinal(e.engine, TECHNICIAN, v.id);
      assert.equal(final.state, "verified");
    } finally {
      await e.close();
    }
  });

  /** Starts a push whose first poll hangs until released, ends it with `endIt`, then releases an approval. */
  async function lateApproval(endIt: (e: Awaited<ReturnType<typeof createEngineWith>>, id: string) => Promise<unknown>) {
    let release: (outcome: PushOutcome) => void = () => {};
    const inFlight = new Promise<PushOutcome>((resolve) => {
      release = resolve;
    });
    const provider = scriptedProvider([() => inFlight]);
    const e = await createEngineWith({ provider });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "scripted-push" });
      await waitFor(() => provider.polls >= 1);
      await endIt(e, v.id);
      release("approved");
      const events = await waitFor(async () => {
        const list = await listAuditEvents(e.handle.db, { verificationId: v.id, limit: 20 });
        return list.some((x) => x.action === "push.answer_ignored") ? list : undefined;
      });
      return { state: (await e.engine.get(TECHNICIAN, v.id)).state, reason: events.at(-1)?.reason ?? "" };
    } finally {
      await e.close();
    }
  }

  it("ignores and audits an approval that arrives after the verification was cancelled", async () => {
    const { state, reason } = await lateApproval((e, id) => e.engine.cancel(TECHNICIAN, id, "technician changed their mind"));
    assert.equal(state, "cancelled");
    assert.match(reason, /answered 'approved' after the verification was cancelled/);
  });

  it("ignores and audits an approval that arrives after the verification expired", async () => {
    const { state, reason } = await lateApproval((e) => {
      e.clock.advance(61_000);
      return e.engine.expireDue();
    });
    assert.equal(state, "expired");
    assert.match(reason, /after the verification was expired/);
  });
});
