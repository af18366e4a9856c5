import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { snowConfigSchema } from "../../../src/adapters/ticketing/servicenow/servicenow-config.js";
import { ticketingAdapterFor, ticketingConfigSchema } from "../../../src/adapters/ticketing/registry.js";
import { WEBHOOK_SECRET } from "./snow-test-setup.js";

const BASE = {
  kind: "servicenow",
  instanceUrl: "https://acme.service-now.com/",
  auth: { kind: "basic", username: "verity.integration", password: "integration-password-0123" },
  webhook: { kind: "standard-webhooks", secret: WEBHOOK_SECRET },
};
const issues = (raw: Record<string, unknown>) => {
  const parsed = snowConfigSchema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("ServiceNow configuration", () => {
  it("is registered under kind servicenow and fills in defaults", () => {
    assert.equal(ticketingAdapterFor("servicenow")?.vendor, "ServiceNow");
    const parsed = ticketingConfigSchema.parse(BASE);
    assert.equal(parsed.kind, "servicenow");
    if (parsed.kind !== "servicenow") return;
    assert.equal(parsed.instanceUrl, "https://acme.service-now.com");
    assert.deepEqual(parsed.tables, ["incident", "sc_task"]);
    assert.equal(parsed.timeoutMs, 10_000);
    assert.ok(!JSON.stringify(parsed).includes("integration-password-0123"), "secrets redact");
  });

  it("wants https, except on the loopback interface", () => {
    assert.ok(issues({ ...BASE, instanceUrl: "http://acme.service-now.com" })[0]?.startsWith("instanceUrl"));
    assert.deepEqual(issues({ ...BASE, instanceUrl: "http://127.0.0.1:8080" }), []);
    assert.deepEqual(issues({ ...BASE, instanceUrl: "http://localhost:8080" }), []);
  });

  it("defaults OAuth to client_credentials and wants a user only for the password grant", () => {
    const oauth = { kind: "oauth", clientId: "abc", clientSecret: "secret-0123456789" };
    const parsed = snowConfigSchema.parse({ ...BASE, auth: oauth });
    assert.equal(parsed.auth.kind === "oauth" && parsed.auth.grant, "client_credentials");
    assert.match(issues({ ...BASE, auth: { ...oauth, grant: "password" } }).join(), /password grant needs username and password/);
    assert.deepEqual(issues({ ...BASE, auth: { ...oauth, grant: "password", username: "u", password: "p" } }), []);
    assert.match(issues({ ...BASE, auth: { ...oauth, username: "u" } }).join(), /OAuth Application User/);
    assert.ok(issues({ ...BASE, auth: { ...oauth, grant: "refresh_token" } }).length > 0);
  });

  it("takes only known tables, each once", () => {
    assert.deepEqual(issues({ ...BASE, tables: ["sc_task", "incident", "sc_req_item"] }), []);
    assert.ok(issues({ ...BASE, tables: ["change_request"] }).length > 0);
    assert.match(issues({ ...BASE, tables: ["incident", "incident"] }).join(), /once/);
    assert.ok(issues({ ...BASE, tables: [] }).length > 0);
  });

  it("wants a whsec_ secret for signatures and refuses unknown keys", () => {
    assert.match(issues({ ...BASE, webhook: { kind: "standard-webhooks", secret: "short" } }).join(), /whsec_/);
    assert.deepEqual(issues({ ...BASE, webhook: { kind: "basic", username: "servicenow", password: "a-long-basic-password-0123456789" } }), []);
    assert.ok(issues({ ...BASE, apiUrl: "https://x" }).length > 0);
  });
});
