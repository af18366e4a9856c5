import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { statusCallbackAuthToken, twilioConfigSchema } from "../../../src/adapters/channel/twilio-sms/twilio-config.js";

const AC = `AC${"0a".repeat(16)}`;
const SK = `SK${"1b".repeat(16)}`;
const MG = `MG${"2c".repeat(16)}`;
const base = { kind: "twilio", accountSid: AC, auth: { kind: "authToken", authToken: "tok-secret" }, from: "+14155550100" };

const problems = (input: unknown): string[] => {
  const result = twilioConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("Twilio provider configuration", () => {
  it("fills in the defaults", () => {
    const config = twilioConfigSchema.parse(base);
    assert.deepEqual([config.baseUrl, config.statusCallbacks, config.timeoutMs], ["https://api.twilio.com", true, 10_000]);
    assert.equal(statusCallbackAuthToken(config)?.reveal(), "tok-secret");
  });

  it("keeps secrets out of JSON and inspection", () => {
    const config = twilioConfigSchema.parse({ ...base, auth: { kind: "apiKey", keySid: SK, keySecret: "key-secret" }, webhookAuthToken: "hook-secret" });
    const text = JSON.stringify(config);
    assert.ok(!text.includes("key-secret") && !text.includes("hook-secret"));
  });

  it("wants exactly one of from and messagingServiceSid", () => {
    assert.deepEqual(problems({ ...base, from: undefined, messagingServiceSid: MG }), []);
    assert.match(problems({ ...base, messagingServiceSid: MG }).join(), /exactly one of from/);
    assert.match(problems({ ...base, from: undefined }).join(), /exactly one of from/);
  });

  it("checks SIDs, numbers and the base URL", () => {
    assert.match(problems({ ...base, accountSid: `AC${"0A".repeat(16)}` }).join(), /accountSid/);
    assert.match(problems({ ...base, accountSid: SK }).join(), /accountSid/);
    assert.match(problems({ ...base, from: undefined, messagingServiceSid: "MG123" }).join(), /messagingServiceSid/);
    assert.match(problems({ ...base, auth: { kind: "apiKey", keySid: AC, keySecret: "s" }, statusCallbacks: false }).join(), /auth.keySid/);
    assert.match(problems({ ...base, from: "0044 7700 900123" }).join(), /from/);
    assert.match(problems({ ...base, baseUrl: "ftp://twilio" }).join(), /baseUrl/);
    assert.match(problems({ ...base, unknown: 1 }).join(), /unknown|Unrecognized/i);
  });

  it("needs the account Auth Token to verify callbacks when it authenticates with an API key", () => {
    const apiKey = { ...base, auth: { kind: "apiKey", keySid: SK, keySecret: "key-secret" } };
    assert.match(problems(apiKey).join(), /webhookAuthToken: is required with API-key auth/);
    const withoutCallbacks = twilioConfigSchema.parse({ ...apiKey, statusCallbacks: false });
    assert.equal(statusCallbackAuthToken(withoutCallbacks), null);
    const withToken = twilioConfigSchema.parse({ ...apiKey, webhookAuthToken: "account-token" });
    assert.equal(statusCallbackAuthToken(withToken)?.reveal(), "account-token");
    assert.match(problems({ ...base, webhookAuthToken: "x" }).join(), /only for API-key auth/);
  });

  it("gives no callback token when callbacks are off", () => {
    assert.equal(statusCallbackAuthToken(twilioConfigSchema.parse({ ...base, statusCallbacks: false })), null);
  });

  it("fits in a discriminated union of provider kinds", () => {
    const providers = z.discriminatedUnion("kind", [twilioConfigSchema, z.strictObject({ kind: z.literal("console") })]);
    assert.equal(providers.parse(base).kind, "twilio");
    assert.equal(providers.safeParse({ ...base, from: undefined }).success, false);
  });
});
