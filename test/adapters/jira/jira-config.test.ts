import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { jsmConfigSchema } from "../../../src/adapters/ticketing/jira/jira-config.js";
import { ticketingAdapterFor, ticketingConfigSchema } from "../../../src/adapters/ticketing/registry.js";
import { WEBHOOK_SECRET } from "./jira-test-setup.js";

const VALID = {
  kind: "jira-service-management",
  siteUrl: "https://acme.atlassian.net/",
  auth: { kind: "basic", email: "verity-agent@acme.example", apiToken: "ATATT-secret-token" },
  webhook: { kind: "token", header: "X-Verity-Secret", token: WEBHOOK_SECRET, allowedSources: ["104.192.136.0/21"] },
};

const issuesOf = (raw: unknown) => {
  const parsed = jsmConfigSchema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join("."));
};

describe("Jira Service Management configuration", () => {
  it("parses the documented block, trims the site URL and keeps the token secret", () => {
    const config = jsmConfigSchema.parse(VALID);
    assert.equal(config.siteUrl, "https://acme.atlassian.net");
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.webhook.kind === "token" ? config.webhook.header : undefined, "x-verity-secret");
    assert.ok(!inspect(config, { depth: 5 }).includes("ATATT-secret-token"));
    assert.ok(!JSON.stringify(config).includes(WEBHOOK_SECRET));
    assert.equal(config.auth.apiToken.reveal(), "ATATT-secret-token");
  });

  it("is registered by kind, through the one ticketing schema", () => {
    assert.equal(ticketingAdapterFor("jira-service-management")?.vendor, "Jira Service Management");
    assert.equal(ticketingConfigSchema.safeParse(VALID).success, true);
  });

  it("names each wrong field", () => {
    assert.deepEqual(issuesOf({ ...VALID, siteUrl: "https://acme.atlassian.net/jira" }), ["siteUrl"]);
    assert.deepEqual(issuesOf({ ...VALID, siteUrl: "acme.atlassian.net" }), ["siteUrl"]);
    assert.deepEqual(issuesOf({ ...VALID, siteUrl: "https://acme.atlassian.net?x=1" }), ["siteUrl"]);
    assert.deepEqual(issuesOf({ ...VALID, siteUrl: "https://me:pw@acme.atlassian.net" }), ["siteUrl"]);
    assert.deepEqual(issuesOf({ ...VALID, auth: { ...VALID.auth, email: "not-an-email" } }), ["auth.email"]);
    assert.deepEqual(issuesOf({ ...VALID, auth: { ...VALID.auth, apiToken: "" } }), ["auth.apiToken"]);
    assert.deepEqual(issuesOf({ ...VALID, auth: { kind: "oauth", clientId: "x" } }), ["auth.kind"]);
    assert.deepEqual(issuesOf({ ...VALID, webhook: { kind: "token", token: "short" } }), ["webhook.token"]);
    assert.deepEqual(issuesOf({ ...VALID, webhook: { ...VALID.webhook, header: "x verity" } }), ["webhook.header"]);
    assert.deepEqual(issuesOf({ ...VALID, webhook: { ...VALID.webhook, allowedSources: ["atlassian"] } }), ["webhook.allowedSources.0"]);
    assert.deepEqual(issuesOf({ ...VALID, cloudId: "x" }), [""]);
    assert.deepEqual(issuesOf({ ...VALID, auth: undefined }), ["auth"]);
  });
});
