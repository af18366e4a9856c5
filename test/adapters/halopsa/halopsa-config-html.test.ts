import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { haloConfigSchema } from "../../../src/adapters/ticketing/halopsa/halopsa-config.js";
import { escapeHtml } from "../../../src/adapters/ticketing/halopsa/halopsa-html.js";
import { haloErrorMessage } from "../../../src/adapters/ticketing/halopsa/halopsa-schemas.js";

const RAW = {
  kind: "halopsa",
  authUrl: "https://acme.halopsa.com/auth/",
  apiUrl: "https://acme.halopsa.com/api",
  clientId: "3f1c",
  clientSecret: "s3cret-value",
  webhook: { kind: "basic", username: "halo", password: "p".repeat(24) },
};

describe("HaloPSA configuration", () => {
  it("fills defaults and keeps secrets redacted", () => {
    const config = haloConfigSchema.parse(RAW);
    assert.equal(config.authUrl, "https://acme.halopsa.com/auth");
    assert.equal(config.scope, "all");
    assert.deepEqual(config.outcome, { id: 7 });
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.tenant, undefined);
    assert.equal(config.clientSecret.reveal(), "s3cret-value");
    assert.ok(!JSON.stringify(config).includes("s3cret-value"));
    assert.ok(!inspect(config, { depth: 5 }).includes("p".repeat(24)));
  });

  it("accepts an outcome by name and a token webhook", () => {
    const config = haloConfigSchema.parse({ ...RAW, tenant: "acme", outcome: { name: "Private Note" }, webhook: { kind: "token", token: "t".repeat(32) } });
    assert.deepEqual(config.outcome, { name: "Private Note" });
    assert.equal(config.webhook.kind, "token");
  });

  it("takes an allowlist of Halo's egress addresses and ranges, IPv4 and IPv6", () => {
    const config = haloConfigSchema.parse({ ...RAW, webhook: { ...RAW.webhook, allowedSources: [" 203.0.113.0/24", "198.51.100.7", "2001:db8::/32"] } });
    assert.deepEqual(config.webhook.allowedSources, ["203.0.113.0/24", "198.51.100.7", "2001:db8::/32"]);
  });

  it("refuses short webhook secrets, colons in usernames, odd tenants and unknown keys", () => {
    const bad = [
      { webhook: { kind: "basic", username: "halo", password: "short" } },
      { webhook: { kind: "token", token: "short" } },
      { webhook: { kind: "basic", username: "ha:lo", password: "p".repeat(24) } },
      { webhook: { kind: "hmac", secret: "x".repeat(32) } },
      { webhook: { ...RAW.webhook, allowedSources: [] } },
      { webhook: { ...RAW.webhook, allowedSources: ["halo.example.com"] } },
      { webhook: { ...RAW.webhook, allowedSources: ["203.0.113.0/33"] } },
      { webhook: { kind: "token", token: "t".repeat(32), allowedSources: ["2001:db8::/129"] } },
      { tenant: "acme&x=1" },
      { outcome: { id: 0 } },
      { outcome: { id: 7, name: "both" } },
      { apiUrl: "ftp://acme.halopsa.com/api" },
      { clientSecret: "" },
      { surprise: true },
    ];
    for (const override of bad) {
      assert.equal(haloConfigSchema.safeParse({ ...RAW, ...override }).success, false, JSON.stringify(override));
    }
    assert.equal(haloConfigSchema.safeParse({ ...RAW, webhook: undefined }).success, false);
  });
});

describe("escapeHtml", () => {
  it("escapes the five HTML characters", () => {
    assert.equal(escapeHtml(`<img src=x onerror="alert('1')"> & co`), "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co");
    assert.equal(escapeHtml("&amp;"), "&amp;amp;");
  });

  it("keeps markdown as inert text", () => {
    assert.equal(escapeHtml("**bold** [link](javascript:alert(1)) `code`"), "**bold** [link](javascript:alert(1)) `code`");
  });

  it("folds CR, LF and tabs into single spaces", () => {
    assert.equal(escapeHtml("Jane\r\nDoe\n\nAdmin\tX\u2028Y"), "Jane Doe Admin X Y");
  });

  it("removes terminal escape sequences and other control characters whole", () => {
    assert.equal(escapeHtml("\u001b[31mRED\u001b[0m \u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007"), "RED link");
    assert.equal(escapeHtml("a\u0000b\u0007c\u007fd\u0090e\u009b31mf"), "abcdef");
    assert.equal(escapeHtml("admin\u202Egnp.exe"), "admingnp.exe");
  });

  it("leaves ordinary text, accents and emoji alone", () => {
    assert.equal(escapeHtml("Zoë Ødegård 👍"), "Zoë Ødegård 👍");
  });
});

describe("Halo error bodies", () => {
  it("reads a .NET exception, a JSON string, OAuth errors and text; ignores HTML pages", () => {
    assert.equal(haloErrorMessage('{"ClassName":"System.Exception","Message":"An Outcome must be entered for this Action"}'), "An Outcome must be entered for this Action");
    assert.equal(haloErrorMessage('"Ticket is closed"'), "Ticket is closed");
    assert.equal(haloErrorMessage('{"error":"invalid_client"}'), "invalid_client");
    assert.equal(haloErrorMessage("plain\r\ntext"), "plain text");
    assert.equal(haloErrorMessage("<html><body>Error</body></html>"), undefined);
    assert.equal(haloErrorMessage(""), undefined);
    assert.equal(haloErrorMessage("x".repeat(1000))?.length, 300);
  });
});
