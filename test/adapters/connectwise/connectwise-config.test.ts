import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { connectwiseConfigSchema } from "../../../src/adapters/ticketing/connectwise/connectwise-config.js";
import { ticketingAdapterFor, ticketingConfigSchema } from "../../../src/adapters/ticketing/registry.js";
import { noteText } from "../../../src/adapters/ticketing/connectwise/connectwise-ticketing.js";
import { cwErrorMessage } from "../../../src/adapters/ticketing/connectwise/connectwise-schemas.js";

const RAW = {
  kind: "connectwise",
  apiUrl: "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/",
  companyId: "contoso_msp",
  publicKey: "pUbLiCkEy0123456",
  privateKey: "PrIvAtEkEy-value-0123",
  clientId: "6a3e1f0c-9b2d-4c1e-8f7a-0123456789ab",
};

const problems = (raw: unknown) => {
  const parsed = connectwiseConfigSchema.safeParse(raw);
  assert.equal(parsed.success, false, "expected the configuration to be refused");
  return parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
};

describe("ConnectWise configuration", () => {
  it("fills defaults, trims the base URL and keeps the private key redacted", () => {
    const config = connectwiseConfigSchema.parse(RAW);
    assert.equal(config.apiUrl, "https://api-na.myconnectwise.net/v4_6_release/apis/3.0");
    assert.deepEqual(config.callback, { keyOrigins: [], keyCacheSeconds: 3600, ignoreMembers: [] });
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.privateKey.reveal(), "PrIvAtEkEy-value-0123");
    assert.ok(!JSON.stringify(config).includes("PrIvAtEkEy-value-0123"));
    assert.ok(!inspect(config, { depth: 5 }).includes("PrIvAtEkEy-value-0123"));
  });

  it("is reachable through the registry by kind", () => {
    assert.equal(ticketingAdapterFor("connectwise")?.vendor, "ConnectWise PSA");
    assert.equal(ticketingConfigSchema.parse(RAW).kind, "connectwise");
  });

  it("requires the clientId header's GUID, and names the field", () => {
    const { clientId: _dropped, ...withoutClientId } = RAW;
    assert.ok(problems(withoutClientId).some((p) => p.startsWith("clientId:")));
    assert.ok(problems({ ...RAW, clientId: "my-integration" }).some((p) => /clientId: must be the GUID/.test(p)));
  });

  it("refuses a companyId or publicKey that would break the Basic credentials", () => {
    assert.ok(problems({ ...RAW, companyId: "contoso+x" }).some((p) => p.startsWith("companyId:")));
    assert.ok(problems({ ...RAW, publicKey: "pub:lic" }).some((p) => p.startsWith("publicKey:")));
    assert.ok(problems({ ...RAW, privateKey: "" }).some((p) => p.startsWith("privateKey:")));
  });

  it("takes an optional workflow secret, long enough to resist guessing", () => {
    assert.equal(connectwiseConfigSchema.parse(RAW).workflow, undefined);
    assert.equal(connectwiseConfigSchema.parse({ ...RAW, workflow: { kind: "token", token: "t".repeat(32) } }).workflow?.kind, "token");
    assert.ok(problems({ ...RAW, workflow: { kind: "token", token: "short" } }).some((p) => p.startsWith("workflow.token:")));
  });

  it("takes key origins as bare origins only, and refuses unknown settings", () => {
    const config = connectwiseConfigSchema.parse({ ...RAW, callback: { keyOrigins: ["https://cw.contoso.example/"], ignoreMembers: ["VerityAPI"] } });
    assert.deepEqual(config.callback.keyOrigins, ["https://cw.contoso.example"]);
    assert.ok(problems({ ...RAW, callback: { keyOrigins: ["https://cw.contoso.example/v4_6_release"] } }).some((p) => p.startsWith("callback.keyOrigins.0:")));
    assert.ok(problems({ ...RAW, callback: { keyOrigins: ["https://user:pw@cw.contoso.example"] } }).some((p) => p.startsWith("callback.keyOrigins.0:")));
    assert.ok(problems({ ...RAW, site: "na.myconnectwise.net" }).length > 0);
    assert.ok(problems({ ...RAW, apiUrl: "ftp://cw.example" }).some((p) => p.startsWith("apiUrl:")));
  });
});

describe("ConnectWise text and error helpers", () => {
  it("keeps a link whole at the end of a sentence", () => {
    assert.equal(noteText('<p>Next: <a href="https://v.example/v/1#t=abc">Open it</a>.</p>'), "Next: Open it: https://v.example/v/1#t=abc");
    assert.equal(noteText("<p>Version 2.5.</p>"), "Version 2.5.");
  });

  it("reads ConnectWise's error body on one line, and nothing from other bodies", () => {
    const body = JSON.stringify({ code: "InvalidObject", message: "serviceNote object is invalid", errors: [{ code: "MissingRequiredField", message: "The text field is required.", resource: "serviceNote", field: "text" }] });
    assert.equal(cwErrorMessage(body), "InvalidObject — serviceNote object is invalid — text: The text field is required.");
    assert.equal(cwErrorMessage("<html>502</html>"), undefined);
    assert.equal(cwErrorMessage(JSON.stringify({ code: "X\u001b[31m", message: "a\nb" })), "X [31m — a b");
  });
});
