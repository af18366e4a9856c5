import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { autotaskConfigSchema } from "../../../src/adapters/ticketing/autotask/autotask-config.js";
import { ticketingConfigSchema } from "../../../src/adapters/ticketing/registry.js";

const MINIMAL = {
  kind: "autotask",
  username: "verity-api@msp.example",
  secret: "api-user-secret",
  integrationCode: "TRACKINGID",
  webhook: { secretKey: "a".repeat(32) },
};

const issues = (raw: unknown) => {
  const parsed = autotaskConfigSchema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("Autotask configuration", () => {
  it("defaults zone discovery to webservices.autotask.net and keeps secrets wrapped", () => {
    const config = autotaskConfigSchema.parse(MINIMAL);
    assert.equal(config.zoneDiscoveryUrl, "https://webservices.autotask.net/atservicesrest");
    assert.equal(config.zoneUrl, undefined);
    assert.equal(config.notePublish, undefined);
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.secret.reveal(), "api-user-secret");
    assert.ok(!JSON.stringify(config).includes("api-user-secret"), "secrets do not serialise");
  });

  it("is reachable through the ticketing registry by kind", () => {
    assert.equal(ticketingConfigSchema.parse(MINIMAL).kind, "autotask");
  });

  it("refuses a webhook secretKey over Autotask's 64 characters or under 24", () => {
    assert.match(issues({ ...MINIMAL, webhook: { secretKey: "a".repeat(65) } }).join(), /webhook\.secretKey: must be 24 to 64/);
    assert.match(issues({ ...MINIMAL, webhook: { secretKey: "short" } }).join(), /webhook\.secretKey/);
    assert.deepEqual(issues({ ...MINIMAL, webhook: { secretKey: "a".repeat(64) } }), []);
  });

  it("wants triggerField and triggerValue together", () => {
    assert.match(issues({ ...MINIMAL, triggerField: "Verify caller" }).join(), /triggerValue: set triggerField and triggerValue together/);
    assert.deepEqual(issues({ ...MINIMAL, triggerField: "Verify caller", triggerValue: "Yes" }), []);
  });

  it("refuses unknown keys, a non-http zone, a fractional notePublish and bad allowedSources", () => {
    assert.ok(issues({ ...MINIMAL, password: "x" }).length > 0);
    assert.ok(issues({ ...MINIMAL, zoneUrl: "ftp://webservices5.autotask.net" }).some((i) => i.startsWith("zoneUrl")));
    assert.ok(issues({ ...MINIMAL, notePublish: 2.5 }).some((i) => i.startsWith("notePublish")));
    assert.ok(issues({ ...MINIMAL, webhook: { secretKey: "a".repeat(32), allowedSources: ["not-an-ip"] } }).some((i) => i.startsWith("webhook.allowedSources")));
    assert.ok(issues({ ...MINIMAL, username: "has space@x" }).some((i) => i.startsWith("username")));
  });
});
