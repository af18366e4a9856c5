import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configProblems, parseConfig } from "../../src/config/load.js";
import { DEFAULT_MESSAGES, linkWording, renderTemplate } from "../../src/services/caller-wording.js";

const verifiedId = {
  kind: "verified-id",
  tenantId: "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
  clientId: "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
  clientSecret: "${VID_SECRET}",
  authority: "did:web:verifiedid.acme.test",
  acceptedIssuers: ["did:web:verifiedid.acme.test"],
  callbackApiKey: "${VID_CALLBACK_KEY}",
};
const env = { VID_SECRET: "s3cret", VID_CALLBACK_KEY: "k".repeat(40) };

const config = (methods: Record<string, unknown>, providers: Record<string, unknown> = {}) => ({
  providers: { console: { kind: "console" }, faceid: verifiedId, ...providers },
  tenants: [{ id: "acme", name: "Acme", domains: ["acme.test"], directory: { kind: "file", path: "dir.yaml" }, methods }],
});

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, { env, baseDir: "/tmp", source: "test", demo: false });
  } catch (error) {
    const found = configProblems(error);
    if (found !== undefined) return found.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe("Face Check configuration", () => {
  it("takes sms-faceid and email-faceid with a channel as provider and a verified-id provider as service", () => {
    assert.deepEqual(problems(config({ "sms-faceid": { provider: "console", service: "faceid" }, "email-faceid": { provider: "console", service: "faceid" } })), []);
  });

  it("says what is wrong with the service: missing, undefined, or not a verified-id provider", () => {
    assert.deepEqual(problems(config({ "sms-faceid": "console" })), [
      "tenants[0].methods.sms-faceid: needs service: the name of a provider of kind verified-id (provider is the channel carrying the link)",
    ]);
    assert.deepEqual(problems(config({ "sms-faceid": { provider: "console", service: "nope" } })), ["tenants[0].methods.sms-faceid.service: provider 'nope' is not defined under providers"]);
    assert.deepEqual(problems(config({ "sms-faceid": { provider: "console", service: "console" } })), [
      "tenants[0].methods.sms-faceid.service: provider 'console' (console) is not a verified-id provider",
    ]);
  });

  it("refuses the verified-id provider as the channel, and a verified-id provider without acceptedIssuers", () => {
    assert.ok(problems(config({ "sms-faceid": { provider: "faceid", service: "faceid" } })).includes("tenants[0].methods.sms-faceid: provider 'faceid' (verified-id) cannot serve sms-faceid"));
    const open = problems(config({ "sms-faceid": { provider: "console", service: "faceid" } }, { faceid: { ...verifiedId, acceptedIssuers: [] } }));
    assert.ok(open.some((p) => p.startsWith("providers.faceid.acceptedIssuers")), open.join("\n"));
  });
});

describe("Face Check wording", () => {
  it("words a Face Check link as Face Check, a confirmation link as before, and a tenant may reword it", () => {
    const text = renderTemplate(linkWording(DEFAULT_MESSAGES, "faceid").text, { organisation: "Acme", technician: "Alice Agent", ticket: "42", link: "https://v.example/c/x" });
    assert.match(text, /^Acme service desk: Alice is checking your identity \(ticket 42\) with Microsoft Authenticator and a selfie\. If you are on a call with them now, open https:\/\/v\.example\/c\/x\./);
    assert.doesNotMatch(text, /number/);
    assert.equal(linkWording(DEFAULT_MESSAGES, "faceid").subject, DEFAULT_MESSAGES.faceidEmailSubject);
    assert.equal(linkWording(DEFAULT_MESSAGES, "link").text, DEFAULT_MESSAGES.link);
    const raw = config({ "sms-faceid": { provider: "console", service: "faceid" } });
    const tenant = { ...raw.tenants[0], messages: { faceidLink: "Open {link} for Face Check." } };
    assert.deepEqual(problems({ ...raw, tenants: [tenant] }), []);
    assert.deepEqual(problems({ ...raw, tenants: [{ ...tenant, messages: { faceidLink: "no link here" } }] }), ["tenants[0].messages.faceidLink: must contain {link}"]);
  });
});

describe("Face Check configuration warnings", () => {
  const warnings = (server: Record<string, unknown>) =>
    parseConfig({ ...config({ "sms-faceid": { provider: "console", service: "faceid" } }), server }, { env, baseDir: "/tmp", source: "test", demo: false }).warnings.filter((w) => w.path === "providers.faceid");

  it("warns when the Request Service cannot call back: no public URL, or not https", () => {
    assert.equal(warnings({}).length, 1);
    assert.match(warnings({ publicUrl: "http://verity.example.com" })[0]?.message ?? "", /https address reachable from the internet/);
    assert.deepEqual(warnings({ publicUrl: "https://verity.example.com" }), []);
  });
});
