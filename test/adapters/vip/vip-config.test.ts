import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { vipConfigSchema } from "../../../src/adapters/push/vip/vip-config.js";
import { createTestPki } from "../../fakes/vip/test-pki.js";

describe("VIP configuration", () => {
  const pki = createTestPki();
  const minimal = { kind: "vip", certificate: pki.client.cert, privateKey: pki.client.key };

  it("defaults to VIP's 1.7 endpoints and a 10 s timeout", () => {
    const config = vipConfigSchema.parse(minimal);
    assert.equal(config.authUrl, "https://userservices-auth.vip.symantec.com/vipuserservices/AuthenticationService_1_7");
    assert.equal(config.queryUrl, "https://userservices-auth.vip.symantec.com/vipuserservices/QueryService_1_7");
    assert.equal(config.timeoutMs, 10_000);
    assert.deepEqual([config.passphrase, config.ca, config.profile, config.pushTimeoutSeconds], [undefined, undefined, undefined, undefined]);
  });

  it("keeps the private key and passphrase out of anything printed", () => {
    const config = vipConfigSchema.parse({ ...minimal, privateKey: pki.clientEncrypted.key, passphrase: pki.clientEncrypted.passphrase });
    const printed = JSON.stringify(config);
    assert.ok(!printed.includes("PRIVATE KEY"));
    assert.ok(!printed.includes(pki.clientEncrypted.passphrase));
    assert.match(printed, /\[redacted\]/);
  });

  it("reports every problem at once: not a certificate, a key of another certificate, a bad ca, odd URLs and limits", () => {
    const bad = vipConfigSchema.safeParse({ ...minimal, certificate: "not a cert" });
    assert.match(JSON.stringify(bad.error?.issues), /must be a PEM X.509 certificate/);
    const mismatch = vipConfigSchema.safeParse({ ...minimal, privateKey: pki.rogueClient.key });
    assert.match(JSON.stringify(mismatch.error?.issues), /does not belong to the configured certificate/);
    const ca = vipConfigSchema.safeParse({ ...minimal, ca: "hello" });
    assert.match(JSON.stringify(ca.error?.issues), /at least one PEM certificate/);
    const brokenCa = vipConfigSchema.safeParse({ ...minimal, ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" });
    assert.match(JSON.stringify(brokenCa.error?.issues), /certificate 1 is not a valid PEM/);
    const shapes = vipConfigSchema.safeParse({ ...minimal, authUrl: "ftp://x", pushTimeoutSeconds: 5, profile: "p".repeat(251), extra: 1 });
    const paths = shapes.error?.issues.map((i) => i.path.join(".")).sort();
    assert.deepEqual(paths, ["", "authUrl", "profile", "pushTimeoutSeconds"]);
  });

  it("accepts a CA bundle and drops trailing slashes from URLs", () => {
    const config = vipConfigSchema.parse({ ...minimal, ca: `${pki.ca.cert}\n${pki.otherCa.cert}`, authUrl: "https://vip.internal.example/auth/", queryUrl: "https://vip.internal.example/query" });
    assert.equal(config.authUrl, "https://vip.internal.example/auth");
  });
});
