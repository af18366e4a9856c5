import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NOTE_JOB } from "../../../src/services/ticket-notes.js";
import { waitFor } from "../../helpers/engine.js";
import { CALLERS, startTicketingWorld, type CallerKey, type TicketingWorld } from "./world.js";

/** One note on a ticket as the system's fake holds it. */
export interface FakeNote {
  /** The note's text as the system stores it (HTML, markup or plain text). */
  readonly text: string;
  /** True when the end user cannot see it (private, internal, `public: false`, work note). */
  readonly internal: boolean;
}

/**
 * What the shared end-to-end suite needs from one ticketing system and its fake: how to start the
 * fake, Verity's configuration block for it, the tickets each caller raised, the system's own
 * trigger, and the notes the fake holds.
 */
export interface TicketingDriver {
  /** The adapter's `kind`. */
  readonly kind: string;
  /** The vendor's name, for test titles. */
  readonly vendor: string;
  /** Starts the fake (tickets for Jane, Sam and Priya as their contacts); returns Verity's config block. */
  start(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
  /** The ticket reference each caller raised, as the trigger and Verity name it. */
  readonly tickets: Readonly<Record<CallerKey, string>>;
  /**
   * Sends the system's own trigger for `ticket`, authenticated as the system does. `claimEmail`
   * makes the trigger carry that contact email (where the system's payload can carry one), so a
   * trigger naming someone other than the ticket's contact can be tested.
   */
  press(world: TicketingWorld, options: { ticket: string; deliveryId: string; claimEmail?: string }): Promise<{ status: number }>;
  /**
   * Whether the system's trigger can carry a contact email at all (HaloPSA's runbook body, a
   * Zendesk or Jira body template can; a signed ConnectWise callback or Autotask webhook carries
   * only ids). When false, `claimEmail` is ignored and the suite checks that the ticket's own
   * contact is the one verified.
   */
  readonly claimsContact: boolean;
  /** The same trigger with missing or wrong credentials. */
  pressForged(world: TicketingWorld, options: { ticket: string; deliveryId: string }): Promise<{ status: number }>;
  /**
   * The delivery id Verity records for a press sent as `deliveryId`, for systems whose deliveries
   * carry no id of their own (Autotask: Verity derives one from the signed body). Absent: the same id.
   */
  recordedDeliveryId?(deliveryId: string): string;
  /** The notes on a ticket, oldest first. */
  notes(ticket: string): readonly FakeNote[];
  /** Makes the system's note-writing call fail with a retryable error (503 or 429) until `heal`. */
  failNotes(): void;
  heal(): void;
}

const SYSTEM = "desk";

/**
 * The suite every ticketing system passes: a ticket's trigger verifies the ticket's contact by SMS
 * (Contoso) and by Duo push (Fabrikam) and leaves exactly the right internal notes; a trigger
 * naming someone else is refused; forged triggers do nothing; a replay is one press; an outage of
 * the system delays notes without losing or duplicating one.
 */
export function describeTicketingSystem(driver: TicketingDriver): void {
  describe(`${driver.vendor}: from the ticket's trigger to the result note`, () => {
    let w: TicketingWorld;
    const recorded = (deliveryId: string) => driver.recordedDeliveryId?.(deliveryId) ?? deliveryId;
    before(async () => {
      const block = await driver.start();
      w = await startTicketingWorld({ systemName: SYSTEM, ticketing: block });
    });
    after(async () => {
      await w.close();
      await driver.stop();
    });

    const texts = (caller: CallerKey) => {
      const c = CALLERS[caller];
      return "mobile" in c ? w.textsTo(c.mobile) : [];
    };

    it("verifies the ticket's contact by SMS and leaves exactly two internal notes: started, then VERIFIED with the audit hash", async () => {
      const ticket = driver.tickets.jane;
      const pressed = await driver.press(w, { ticket, deliveryId: "sms-1" });
      assert.ok(pressed.status >= 200 && pressed.status < 300, `trigger answered ${pressed.status}`);
      const code = await w.codeSentTo(CALLERS.jane.mobile);
      const started = await waitFor(() => driver.notes(ticket)[0], 10_000);
      assert.match(started.text, /Verity identity check started/);
      assert.ok(started.text.includes(CALLERS.jane.masked), "the started note shows the masked number");
      assert.ok(!started.text.includes(code) && !started.text.includes(CALLERS.jane.mobile.slice(2)), "no code and no full number in a note");
      const checked = await w.checkThroughNote(started.text, code);
      assert.equal(checked.outcome, "verified");
      const v = await w.byDelivery(driver.kind, SYSTEM, recorded("sms-1"), "verified");
      assert.equal(v.subjectId, CALLERS.jane.id);
      assert.equal(v.ticketSystem, SYSTEM);
      assert.equal(v.tenantId, "contoso");
      const result = await waitFor(() => driver.notes(ticket)[1], 10_000);
      assert.match(result.text, /Verity: caller VERIFIED/);
      assert.ok(result.text.includes(await w.auditHash(v.id, "check.accepted")), "the result note carries the audit hash");
      await new Promise((r) => setTimeout(r, 200));
      const notes = driver.notes(ticket);
      assert.equal(notes.length, 2, "exactly two notes");
      assert.ok(notes.every((n) => n.internal), "every note is internal");
      assert.equal(texts("jane").length, 1, "one text");
    });

    it("verifies a second organisation's caller on the same system by Duo push", async () => {
      const ticket = driver.tickets.priya;
      const pressed = await driver.press(w, { ticket, deliveryId: "push-1" });
      assert.ok(pressed.status >= 200 && pressed.status < 300, `trigger answered ${pressed.status}`);
      const v = await w.byDelivery(driver.kind, SYSTEM, recorded("push-1"), "verified");
      assert.equal(v.tenantId, "fabrikam");
      assert.equal(v.method, "duo-push");
      assert.equal(w.duo.transactions.filter((t) => t.username === CALLERS.priya.duo).length, 1, "one push");
      const result = await waitFor(() => driver.notes(ticket).find((n) => /caller VERIFIED/.test(n.text)), 10_000);
      assert.ok(result.text.includes(await w.auditHash(v.id, "push.approved")), "the result note carries the approval's audit hash");
      const notes = driver.notes(ticket);
      assert.equal(notes.length, 2, "started and result, nothing else");
      assert.match(notes[0]?.text ?? "", /Verity identity check started/);
      assert.match(notes[0]?.text ?? "", /Duo push|duo push/);
      assert.ok(notes.every((n) => n.internal));
    });

    it(driver.claimsContact ? "refuses a trigger that names someone other than the ticket's contact, and sends nothing" : "verifies the ticket's own contact: the trigger names only the ticket", async () => {
      if (!driver.claimsContact) {
        const before = texts("sam").length;
        await driver.press(w, { ticket: driver.tickets.sam, deliveryId: "contact-1" });
        const v = await w.byDelivery(driver.kind, SYSTEM, recorded("contact-1"), "sent");
        assert.equal(v.subjectId, CALLERS.sam.id, "the ticket's contact, read from the system");
        assert.equal(texts("sam").length, before + 1);
        await w.runtime.engine.cancel({ id: "token:t", name: "T", role: "admin", tenants: null }, v.id, "test: clear the ticket");
        await w.drain(async () => (await pendingNotes(w)) === 0);
        return;
      }
      const ticket = driver.tickets.sam;
      const before = { jane: texts("jane").length, sam: texts("sam").length };
      await driver.press(w, { ticket, deliveryId: "mismatch-1", claimEmail: CALLERS.jane.upn });
      const note = await waitFor(() => driver.notes(ticket).find((n) => n.text.includes("is for another person")), 10_000);
      assert.match(note.text, /nothing was sent/);
      assert.ok(note.internal);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(texts("jane").length, before.jane, "no text to the person the trigger named");
      assert.equal(texts("sam").length, before.sam, "no text to the ticket's contact either");
    });

    it("does nothing for a forged trigger", async () => {
      const before = w.twilio.messages.length;
      const notesBefore = driver.notes(driver.tickets.sam).length;
      const forged = await driver.pressForged(w, { ticket: driver.tickets.sam, deliveryId: "forged-1" });
      assert.ok(forged.status === 401 || forged.status === 403, `forged trigger answered ${forged.status}`);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(w.twilio.messages.length, before);
      assert.equal(driver.notes(driver.tickets.sam).length, notesBefore);
      const rows = await w.runtime.database.db.selectFrom("webhook_deliveries").select("delivery_id").where("delivery_id", "like", "%forged-1%").execute();
      assert.deepEqual(rows, []);
    });

    it("treats the same delivery sent twice as one press", async () => {
      const ticket = driver.tickets.sam;
      const before = texts("sam").length;
      const [a, b] = await Promise.all([driver.press(w, { ticket, deliveryId: "twice-1" }), driver.press(w, { ticket, deliveryId: "twice-1" })]);
      assert.ok(a.status < 300 && b.status < 300);
      await waitFor(() => texts("sam").length > before || undefined, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(texts("sam").length, before + 1, "exactly one text");
    });

    it("keeps verifying while the system is down, then posts every note once, in order", async () => {
      const ticket = driver.tickets.sam;
      const v0 = await w.byDelivery(driver.kind, SYSTEM, recorded("twice-1"));
      await w.runtime.engine.cancel({ id: "token:t", name: "T", role: "admin", tenants: null }, v0.id, "test: clear the ticket");
      await w.drain(async () => (await pendingNotes(w)) === 0);
      const before = driver.notes(ticket).length;
      const textsBefore = texts("sam").length;
      driver.failNotes();
      await driver.press(w, { ticket, deliveryId: "outage-1" });
      const code = await w.codeSentTo(CALLERS.sam.mobile, textsBefore);
      const v = await w.byDelivery(driver.kind, SYSTEM, recorded("outage-1"), "sent");
      await w.runtime.engine.check({ id: "token:t", name: "T", role: "admin", tenants: null }, v.id, code);
      await waitFor(async () => ((await failedNoteAttempts(w)) > 0 ? true : undefined), 10_000);
      assert.equal(driver.notes(ticket).length, before, "nothing posted while the system is down");
      driver.heal();
      await w.drain(() => driver.notes(ticket).length >= before + 2);
      await new Promise((r) => setTimeout(r, 300));
      const posted = driver.notes(ticket).slice(before);
      assert.equal(posted.length, 2, "the started and the result note, each once");
      assert.match(posted[0]?.text ?? "", /identity check started/);
      assert.match(posted[1]?.text ?? "", /caller VERIFIED/);
      assert.equal(await pendingNotes(w), 0);
    });
  });
}

async function pendingNotes(w: TicketingWorld): Promise<number> {
  const rows = await w.runtime.database.db.selectFrom("jobs").select("id").where("kind", "=", NOTE_JOB).where("state", "in", ["pending", "running"]).execute();
  return rows.length;
}

async function failedNoteAttempts(w: TicketingWorld): Promise<number> {
  const rows = await w.runtime.database.db.selectFrom("jobs").select("attempts").where("kind", "=", NOTE_JOB).where("attempts", ">", 0).where("state", "=", "pending").execute();
  return rows.length;
}
