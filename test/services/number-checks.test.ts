import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { isVerityError } from "../../src/domain/errors.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { startFakeTwilio, twilioProviderConfig, type FakeTwilio } from "../fakes/twilio/fake-twilio.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, type TestRuntime } from "../helpers/runtime.js";

/**
 * SECURITY.md (b) #9–#10 through the whole runtime: the registered mobile is checked with Twilio
 * Lookup beside the directory's reads, and the built-in policy refuses to text a VoIP, landline
 * or recently swapped number, or one that could not be checked, unless the tenant's own rules
 * say otherwise. Nothing is sent when it refuses.
 */
describe("number checks before an SMS code", () => {
  let twilio: FakeTwilio;
  before(async () => {
    twilio = await startFakeTwilio();
  });
  beforeEach(() => {
    twilio.reset();
    twilio.lineTypes.clear();
    twilio.simSwaps.clear();
  });
  after(() => twilio.close());

  const runtime = (policy?: Record<string, unknown>, lookup: Record<string, unknown> = {}): Promise<TestRuntime> =>
    createTestRuntime({
      overrides: {
        providers: {
          sms: twilioProviderConfig(twilio, lookup),
        },
        tenants: [
          {
            id: "acme",
            name: "Acme Test",
            domains: ["acme.test"],
            directory: { kind: "file", path: "directory.yaml" },
            methods: { sms: "sms" },
            ...(policy === undefined ? {} : { policy }),
          },
        ],
      },
    });
  const jane = TEST_USERS.jane;

  it("texts a mobile number that passes the check", async () => {
    const t = await runtime();
    try {
      const v = await t.runtime.engine.start(t.technician, { user: jane.upn, method: "sms" });
      assert.equal(v.state, "sent");
      assert.equal(twilio.messages.length, 1);
      assert.ok(twilio.requests.some((r) => r.path.startsWith("/v2/PhoneNumbers/")), "the number was looked up");
    } finally {
      await t.close();
    }
  });

  it("refuses to text a VoIP number, says why, audits it, and sends nothing", async () => {
    twilio.lineTypes.set(jane.mobile, "nonFixedVoip");
    const t = await runtime();
    try {
      const error = await t.runtime.engine.start(t.technician, { user: jane.upn, method: "sms" }).catch((e: unknown) => e);
      assert.ok(isVerityError(error) && error.code === "POLICY_BLOCKED", String(error));
      assert.match(error.message, /VoIP number \(nonFixedVoip\)/);
      assert.ok(!error.message.includes(jane.mobile), "the number is masked");
      assert.equal(twilio.messages.length, 0);
      const refused = (await listAuditEvents(t.runtime.database.db, { limit: 20 })).find((e) => e.action === "verification.refused");
      assert.equal(refused?.reason, "POLICY_BLOCKED");
      assert.match(JSON.stringify(refused?.data), /number_voip:block/);
    } finally {
      await t.close();
    }
  });

  it("shows the number check on the caller card, and does not offer SMS to a VoIP number (issue 10)", async () => {
    twilio.lineTypes.set(jane.mobile, "nonFixedVoip");
    const t = await runtime();
    try {
      const view = await t.runtime.engine.lookup(t.technician, jane.upn);
      const sms = view.methods.find((m) => m.method === "sms");
      assert.equal(sms?.available, false);
      assert.match(sms?.detail ?? "", /^not offered: .*VoIP number/);
      assert.equal(view.risk.decision, "allow", "the number's flag belongs to SMS, not to the caller");
      assert.equal(twilio.messages.length, 0);
    } finally {
      await t.close();
    }
  });

  it("fails closed when Lookup cannot answer, unless the tenant's policy relaxes it", async () => {
    twilio.failNextLookup("500", 2);
    const strict = await runtime();
    try {
      const error = await strict.runtime.engine.start(strict.technician, { user: jane.upn, method: "sms" }).catch((e: unknown) => e);
      assert.ok(isVerityError(error) && error.code === "POLICY_BLOCKED");
      assert.match(error.message, /could not check/);
      assert.equal(twilio.messages.length, 0);
    } finally {
      await strict.close();
    }
    twilio.failNextLookup("500", 2);
    const relaxed = await runtime({ default: "warn", rules: { number_check_unavailable: "warn" } });
    try {
      const v = await relaxed.runtime.engine.start(relaxed.technician, { user: jane.upn, method: "sms" });
      assert.equal(v.state, "sent");
      assert.equal(v.risk.decision, "warn");
      assert.deepEqual(
        v.risk.signals.map((s) => s.code),
        ["number_check_unavailable"],
      );
      assert.equal(twilio.messages.length, 1);
    } finally {
      await relaxed.close();
    }
  });

  it("refuses a number whose SIM changed recently, when SIM-swap checks are on", async () => {
    twilio.simSwaps.set(jane.mobile, { swappedPeriod: "PT24H", swappedInPeriod: true });
    const t = await runtime(undefined, { simSwap: true });
    try {
      const error = await t.runtime.engine.start(t.technician, { user: jane.upn, method: "sms" }).catch((e: unknown) => e);
      assert.ok(isVerityError(error) && error.code === "POLICY_BLOCKED");
      assert.match(error.message, /SIM of .* changed in the last 24 hours/);
      assert.equal(twilio.messages.length, 0);
    } finally {
      await t.close();
    }
  });
});
