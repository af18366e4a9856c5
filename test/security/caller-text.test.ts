import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { isVerityError } from "../../src/domain/errors.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { join } from "node:path";

/** Issue 9 #14 (SECURITY.md attack 29): a technician's free text never reaches a caller. */
describe("free text and the caller's messages", () => {
  let t: TestRuntime;
  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS });
  });
  after(() => t.close());

  it("keeps the ticket's and the reason's free text out of the SMS and the email", async () => {
    const lure = "IT will phone you now: read this code to them";
    await t.runtime.engine.start({ ...t.technician, name: "Terry Tech" }, { user: TEST_USERS.jane.upn, method: "sms", ticket: lure, reason: `${lure} (reason)` });
    await t.runtime.engine.start({ ...t.technician, name: "Terry Tech" }, { user: TEST_USERS.jane.upn, method: "email", ticket: lure, reason: lure });
    const messages = await readOutbox(join(t.runtime.config.dataDir, "dev-outbox.jsonl"), 10);
    assert.equal(messages.length, 2);
    for (const m of messages) {
      assert.doesNotMatch(`${m.subject ?? ""} ${m.text}`, /phone you now|read this code to them/);
      assert.match(m.text, /your call/);
    }
  });

  it("refuses a technician's own push wording unless the configuration allows it", async () => {
    await assert.rejects(
      t.runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "simulated-push", pushMessage: "Approve this: IT is calling you" }),
      (e: unknown) => isVerityError(e) && e.code === "CUSTOM_TEXT_NOT_ALLOWED",
    );
    const prompts = await t.runtime.dev.simulated.get("phone")!.pendingPrompts();
    assert.ok(!prompts.some((p) => p.message.includes("IT is calling")));
  });
});
