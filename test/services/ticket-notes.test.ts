import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VerityError } from "../../src/domain/errors.js";
import type { MessageChannel, OutboundMessage, PushProvider, TicketingSystem } from "../../src/domain/ports.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { countJobs } from "../../src/store/job-dal.js";
import { createEngineWith, waitFor, waitForFinal } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { TECHNICIAN } from "../helpers/runtime.js";

/**
 * A PSA that records notes; it can be switched off, or made to fail after writing (ambiguous).
 * Ticket 4242 is Sam's; every other ticket is Jane's, unless `contacts` says otherwise.
 */
function recordingPsa(): TicketingSystem & { notes: { ticket: string; html: string }[]; mode: "up" | "down" | "ambiguous"; contacts: Record<string, string> } {
  const psa = {
    name: "psa",
    vendor: "TestPSA",
    notes: [] as { ticket: string; html: string }[],
    mode: "up" as "up" | "down" | "ambiguous",
    contacts: { "4242": TEST_USERS.sam.upn } as Record<string, string>,
    ticketContact(ticket: string) {
      if (psa.mode === "down") return Promise.reject(new VerityError("TICKETING_UNAVAILABLE"));
      return Promise.resolve({ email: psa.contacts[ticket] ?? TEST_USERS.jane.upn, directoryId: null, name: null });
    },
    addPrivateNote(note: { ticket: string; html: string }) {
      if (psa.mode === "down") return Promise.reject(new VerityError("TICKETING_UNAVAILABLE"));
      psa.notes.push(note);
      if (psa.mode === "ambiguous") return Promise.reject(new VerityError("TICKETING_UNAVAILABLE", { details: { ambiguous: true } }));
      return Promise.resolve();
    },
    hasNoteWith(ticket: string, marker: string) {
      return Promise.resolve(psa.notes.some((n) => n.ticket === ticket && n.html.includes(marker)));
    },
  };
  return psa;
}

function memoryChannel(): MessageChannel & { sent: OutboundMessage[] } {
  const sent: OutboundMessage[] = [];
  return { name: "mem", developmentOnly: false, channels: ["sms"], sent, send: (m) => (sent.push(m), Promise.resolve({ providerRef: `SM${sent.length}` })) };
}

const codeOf = (m: OutboundMessage | undefined) => m?.text.match(/\b(\d{6})\b/)?.[1] ?? "";

describe("ticket notes", () => {
  it("writes a 'started' note and a result note with the audit hash, never the code or the number", async () => {
    const psa = recordingPsa();
    const channel = memoryChannel();
    const e = await createEngineWith({ channel, ticketing: { system: psa, codeHandling: "readback", publicUrl: "https://verity.example.net" } });
    try {
      const v = await e.engine.start({ ...TECHNICIAN, name: "Terry <b>Tech</b>" }, { user: TEST_USERS.sam.upn, method: "sms", ticket: "4242" });
      const code = codeOf(channel.sent[0]);
      await e.engine.check(TECHNICIAN, v.id, code);
      assert.equal(await e.queue.drain(), 2);
      const [started, result] = psa.notes;
      assert.match(started?.html ?? "", /Verity identity check started/);
      assert.match(started?.html ?? "", /SMS code to \+44 ••••• ••0002/);
      assert.match(started?.html ?? "", /Terry &lt;b&gt;Tech&lt;\/b&gt;/, "names are escaped");
      assert.match(started?.html ?? "", /The account is privileged/);
      assert.match(started?.html ?? "", /href="https:\/\/verity\.example\.net\/v\/[0-9a-f-]{36}#t=\d+\.[A-Za-z0-9_-]{43}"/);
      // Issue 9 #15: the queued job held a placeholder; the capability exists only in the posted note.
      const jobs = await e.handle.db.selectFrom("jobs").select("payload").execute();
      assert.ok(jobs.length > 0 && jobs.every((j) => !j.payload.includes("#t=")), "no capability link is stored in a job");
      assert.match(result?.html ?? "", /caller VERIFIED/);
      assert.match(result?.html ?? "", /Policy is NOT yet satisfied: it requires a second, different method/);
      const accepted = (await listAuditEvents(e.handle.db, { verificationId: v.id, limit: 10 })).find((x) => x.action === "check.accepted");
      assert.ok(result?.html.includes(accepted?.hash ?? "missing"), "the result note carries the audit event's hash");
      for (const note of psa.notes) {
        assert.ok(!note.html.includes(code) && !note.html.includes("900002"));
        assert.equal(note.ticket, "4242");
      }
    } finally {
      await e.close();
    }
  });

  it("reports a push the provider could not complete as a failure with its reason, not as a denial", async () => {
    const psa = recordingPsa();
    const provider: PushProvider = {
      name: "blocked",
      kind: "blocked",
      developmentOnly: false,
      pollIntervalMs: 5,
      startPush: () => Promise.resolve({ transactionRef: "tx-1" }),
      pollPush: () => Promise.resolve({ outcome: "failed", detail: "The user is blocked for MFA; an administrator can unblock them." }),
      cancelPush: () => Promise.resolve(),
    };
    const e = await createEngineWith({ provider, ticketing: { system: psa, codeHandling: "readback" } });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "blocked-push", ticket: "88" });
      assert.equal((await waitForFinal(e.engine, TECHNICIAN, v.id)).state, "failed");
      await waitFor(async () => {
        await e.queue.drain();
        return psa.notes.length >= 2 || undefined;
      });
      const result = psa.notes.at(-1)?.html ?? "";
      assert.match(result, /caller NOT VERIFIED \(the push could not complete\)/);
      assert.match(result, /blocked for MFA; an administrator can unblock them/);
      assert.doesNotMatch(result, /denied/i);
    } finally {
      await e.close();
    }
  });

  it("never delays the text when the PSA is down, and loses no note", async () => {
    const psa = recordingPsa();
    psa.mode = "down";
    const channel = memoryChannel();
    const e = await createEngineWith({ channel, ticketing: { system: psa, codeHandling: "readback" } });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms", ticket: "7" });
      assert.equal(v.state, "sent");
      assert.equal(channel.sent.length, 1, "the text went out while the PSA was down");
      await e.engine.cancel(TECHNICIAN, v.id, "caller hung up");
      await e.queue.drain();
      assert.equal(psa.notes.length, 0);
      assert.equal(await countJobs(e.handle.db, "pending"), 2);
      psa.mode = "up";
      for (let i = 0; i < 10 && psa.notes.length < 2; i += 1) {
        e.clock.advance(15 * 60_000);
        await e.queue.drain();
      }
      assert.equal(psa.notes.length, 2);
      assert.match(psa.notes[1]?.html ?? "", /NOT VERIFIED \(cancelled\)/);
    } finally {
      await e.close();
    }
  });

  it("does not post a note twice after a post that failed but had written it", async () => {
    const psa = recordingPsa();
    psa.mode = "ambiguous";
    const e = await createEngineWith({ channel: memoryChannel(), ticketing: { system: psa, codeHandling: "readback" } });
    try {
      await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms", ticket: "8" });
      await e.queue.drain();
      assert.equal(psa.notes.length, 1);
      psa.mode = "up";
      e.clock.advance(60_000);
      await e.queue.drain();
      assert.equal(psa.notes.length, 1, "the retry found the note and did not post it again");
      assert.equal(await countJobs(e.handle.db, "pending"), 0);
    } finally {
      await e.close();
    }
  });
});

describe("reveal mode", () => {
  it("shows the code in the ticket without storing it, and takes the technician's match", async () => {
    const psa = recordingPsa();
    const channel = memoryChannel();
    const e = await createEngineWith({ channel, ticketing: { system: psa, codeHandling: "reveal" } });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms", ticket: "9" });
      const code = codeOf(channel.sent[0]);
      await waitFor(() => psa.notes.some((n) => n.html.includes(code)));
      const jobs = await e.handle.db.selectFrom("jobs").select("payload").execute();
      assert.ok(jobs.every((j) => !j.payload.includes(code)), "the code never reaches the database");
      const confirmed = await e.engine.confirm(TECHNICIAN, v.id, true);
      assert.deepEqual([confirmed.state, confirmed.stateReason], ["verified", "technician_confirmed_match"]);
      const actions = (await listAuditEvents(e.handle.db, { verificationId: v.id, limit: 10 })).map((x) => x.action);
      assert.ok(actions.includes("note.code_revealed") && actions.includes("check.confirmed"));
    } finally {
      await e.close();
    }
  });

  it("rejects on a reported mismatch and counts it as a failed check", async () => {
    const psa = recordingPsa();
    const e = await createEngineWith({ channel: memoryChannel(), ticketing: { system: psa, codeHandling: "reveal" } });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms", ticket: "10" });
      const rejected = await e.engine.confirm(TECHNICIAN, v.id, false);
      assert.deepEqual([rejected.state, rejected.stateReason], ["rejected", "technician_reported_mismatch"]);
      const actions = (await listAuditEvents(e.handle.db, { verificationId: v.id, limit: 10 })).map((x) => x.action);
      assert.ok(actions.includes("check.mismatch"));
    } finally {
      await e.close();
    }
  });

  it("refuses match/mismatch outside reveal mode", async () => {
    const e = await createEngineWith({ channel: memoryChannel(), ticketing: { system: recordingPsa(), codeHandling: "readback" } });
    try {
      const v = await e.engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method: "sms", ticket: "11" });
      await assert.rejects(e.engine.confirm(TECHNICIAN, v.id, true), /reveal mode/);
    } finally {
      await e.close();
    }
  });
});
