import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { duoConfigSchema, signedHost } from "../../../src/adapters/push/duo/duo-config.js";

const base = { kind: "duo", apiHost: "api-1a2b3c4d.duosecurity.com", integrationKey: "DIWJ8X6AEYOR5OMC6TQ1", secretKey: "s".repeat(40) };

describe("Duo configuration", () => {
  it("fills the defaults: base URL from the API host, push type, timeouts, no Verified Push", () => {
    const config = duoConfigSchema.parse(base);
    assert.equal(config.baseUrl, "https://api-1a2b3c4d.duosecurity.com");
    assert.equal(config.pushType, "Caller verification");
    assert.equal(config.verifiedPush, false);
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.longPollTimeoutMs, 65_000);
  });

  it("keeps the secret key out of every printed form", () => {
    const config = duoConfigSchema.parse(base);
    for (const text of [JSON.stringify(config), inspect(config), String(config.secretKey)]) assert.ok(!text.includes("ssss"));
    assert.equal(config.secretKey.reveal(), "s".repeat(40));
  });

  it("takes a base URL for a proxy or a fake, and lower-cases the API host", () => {
    const config = duoConfigSchema.parse({ ...base, apiHost: " API-1A2B3C4D.duosecurity.com ", baseUrl: "http://127.0.0.1:8443/" });
    assert.equal(config.baseUrl, "http://127.0.0.1:8443");
    assert.equal(config.apiHost, "api-1a2b3c4d.duosecurity.com");
  });

  it("signs the API host with its port unless the port is https's 443", () => {
    assert.equal(signedHost({ apiHost: "api-1a2b3c4d.duosecurity.com:443" }), "api-1a2b3c4d.duosecurity.com");
    assert.equal(signedHost({ apiHost: "127.0.0.1:8443" }), "127.0.0.1:8443");
  });

  it("refuses a URL in apiHost, a malformed integration key, an empty secret and unknown keys", () => {
    const issues = (raw: Record<string, unknown>) => duoConfigSchema.safeParse({ ...base, ...raw }).error?.issues.map((i) => i.path.join(".")) ?? [];
    assert.deepEqual(issues({ apiHost: "https://api-1a2b3c4d.duosecurity.com" }), ["apiHost"]);
    assert.deepEqual(issues({ integrationKey: "di123" }), ["integrationKey"]);
    assert.deepEqual(issues({ secretKey: "" }), ["secretKey"]);
    assert.deepEqual(issues({ pushtype: "x" }), [""]);
  });
});
