import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { oktaConfigSchema } from "../../../src/adapters/push/okta/okta-config.js";
import { testKeyPair } from "./okta-kit.js";

const issues = (raw: unknown): string[] => {
  const parsed = oktaConfigSchema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("okta provider configuration", () => {
  it("defaults to number challenge, a 10 s timeout and the two scopes Verity needs", () => {
    const config = oktaConfigSchema.parse({
      kind: "okta",
      orgUrl: "https://acme.okta.com/",
      auth: { kind: "oauth", clientId: "0oa1", privateKey: testKeyPair().privateKey },
    });
    assert.equal(config.orgUrl, "https://acme.okta.com");
    assert.equal(config.numberChallenge, true);
    assert.equal(config.timeoutMs, 10_000);
    assert.ok(config.auth.kind === "oauth");
    assert.deepEqual(config.auth.scopes, ["okta.users.read", "okta.users.manage"]);
  });

  it("keeps the API token and the private key redacted", () => {
    const ssws = oktaConfigSchema.parse({ kind: "okta", orgUrl: "https://acme.okta.com", auth: { kind: "ssws", token: "00secretToken" } });
    const oauth = oktaConfigSchema.parse({ kind: "okta", orgUrl: "https://acme.okta.com", auth: { kind: "oauth", clientId: "0oa1", privateKey: testKeyPair().privateKey } });
    for (const shown of [JSON.stringify(ssws), inspect(ssws, { depth: 5 }), JSON.stringify(oauth), inspect(oauth, { depth: 5 })]) {
      assert.doesNotMatch(shown, /00secretToken|PRIVATE KEY/);
    }
  });

  it("accepts an EC P-256 key and a key id", () => {
    assert.deepEqual(issues({ kind: "okta", orgUrl: "https://acme.okta.com", auth: { kind: "oauth", clientId: "0oa1", privateKey: testKeyPair("ec", "ec").privateKey, keyId: "k1" } }), []);
  });

  it("says what is wrong with org URLs, keys, scopes and unknown fields", () => {
    const base = { kind: "okta", auth: { kind: "ssws", token: "t" } };
    assert.deepEqual(issues({ ...base, orgUrl: "https://acme-admin.okta.com" }), ["orgUrl: is the Admin Console host; use the org URL without -admin (https://acme.okta.com)"]);
    assert.deepEqual(issues({ ...base, orgUrl: "https://acme.okta.com/oauth2/default" }), ["orgUrl: must be the org URL alone, such as https://acme.okta.com (no path)"]);
    assert.match(issues({ ...base, orgUrl: "ftp://acme.okta.com" }).join(), /orgUrl: must be an http\(s\) URL/);
    const oauth = (auth: Record<string, unknown>) => issues({ kind: "okta", orgUrl: "https://acme.okta.com", auth: { kind: "oauth", clientId: "0oa1", ...auth } });
    assert.deepEqual(oauth({ privateKey: "not a key" }), ["auth.privateKey: must be an unencrypted PEM private key"]);
    assert.deepEqual(oauth({ privateKey: testKeyPair().privateKey, scopes: ["okta.users.read"] }), ["auth.scopes: must include okta.users.manage"]);
    assert.match(issues({ ...base, orgUrl: "https://acme.okta.com", numberMatching: true }).join(), /numberMatching/);
    assert.match(issues({ ...base, orgUrl: "https://acme.okta.com", auth: { kind: "ssws", token: "" } }).join(), /auth.token: must not be empty/);
  });
});
