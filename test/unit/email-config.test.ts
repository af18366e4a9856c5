import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { configProblems, parseConfig } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "verity-email-config-"));
const SMTP = { kind: "smtp", host: "smtp.office365.com", auth: { user: "verity@contoso.com", pass: "${SMTP_PASSWORD}" }, from: "verity@contoso.com" };
const GRAPH = {
  kind: "graph-mail",
  tenantId: "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
  clientId: "3f0c6a4e-7b0b-4a5e-9d7e-2d0f6f0b1c2d",
  credential: { kind: "secret", secret: "${GRAPH_SECRET}" },
  mailbox: "servicedesk-codes@contoso.com",
};
const ENV = { SMTP_PASSWORD: "smtp-Secret-123", GRAPH_SECRET: "graph-Secret-456" };
const config = (providers: Record<string, unknown>, methods: Record<string, string>) => ({
  providers,
  tenants: [{ id: "acme", name: "Acme", domains: ["acme.test"], directory: { kind: "file", path: "dir.yaml" }, methods }],
});
const parse = (raw: unknown) => parseConfig(raw, { env: ENV, baseDir: dir, source: "test", demo: false });
const problemsOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    const problems = configProblems(error);
    if (problems !== undefined) return JSON.stringify(problems);
    throw error;
  }
  assert.fail("expected the configuration to be refused");
};

describe("email provider configuration", () => {
  it("takes smtp and graph-mail as email providers with secure defaults, secrets redacted", () => {
    const loaded = parse(config({ relay: SMTP, graph: GRAPH }, { email: "relay" }));
    const relay = loaded.config.providers.relay;
    assert.ok(relay?.kind === "smtp");
    assert.deepEqual([relay.port, relay.secure, relay.requireTLS, relay.tls.minVersion], [587, false, true, "TLSv1.2"]);
    assert.equal(relay.auth?.pass.reveal(), "smtp-Secret-123");
    const graph = loaded.config.providers.graph;
    assert.ok(graph?.kind === "graph-mail");
    assert.deepEqual([graph.tenantId, graph.saveToSentItems, graph.graphUrl], ["72f988bf-86f1-41af-91ab-2d7cd011db47", false, "https://graph.microsoft.com"]);
    const shown = inspect(loaded.config, { depth: 10 }) + JSON.stringify(loaded.config);
    assert.ok(!shown.includes("smtp-Secret-123") && !shown.includes("graph-Secret-456"));
    parse(config({ graph: GRAPH }, { email: "graph" }));
  });

  it("refuses an email provider bound to sms, and a plain-text relay with a password", () => {
    assert.match(problemsOf(() => parse(config({ relay: SMTP }, { sms: "relay" }))), /relay/);
    assert.match(problemsOf(() => parse(config({ relay: { ...SMTP, requireTLS: false } }, { email: "relay" }))), /requireTLS/);
  });

  it("refuses a from address or mailbox that is not one plain address, and a CA that is not a certificate", () => {
    assert.match(problemsOf(() => parse(config({ relay: { ...SMTP, from: "Desk <verity@contoso.com>" } }, { email: "relay" }))), /from/);
    assert.match(problemsOf(() => parse(config({ graph: { ...GRAPH, mailbox: "codes@contoso.com\r\nBcc: x@y.z" } }, { email: "graph" }))), /mailbox/);
    assert.match(problemsOf(() => parse(config({ relay: { ...SMTP, tls: { ca: "not a certificate" } } }, { email: "relay" }))), /PEM/);
  });
});
