import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { anchorSinkLabel } from "../../src/adapters/anchor/anchor-config.js";
import { configProblems, parseConfig } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "verity-anchor-config-"));
const base = {
  providers: { console: { kind: "console" } },
  tenants: [{ id: "acme", name: "Acme", domains: ["acme.test"], directory: { kind: "file", path: "dir.yaml" }, methods: { sms: "console" } }],
};
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const parse = (audit: unknown, env: NodeJS.ProcessEnv = {}) =>
  parseConfig({ ...base, dataDir: "state", audit }, { env, baseDir: dir, source: "test", demo: false }).config;
const problemsOf = (audit: unknown, env: NodeJS.ProcessEnv = {}) => {
  try {
    parse(audit, env);
  } catch (error) {
    const problems = configProblems(error);
    if (problems !== undefined) return problems;
    throw error;
  }
  assert.fail("expected the configuration to be refused");
};

describe("audit anchor configuration", () => {
  it("anchors to a file in dataDir every 5 minutes unless told otherwise", () => {
    assert.deepEqual(parse(undefined).audit.anchor, { intervalSeconds: 300, sinks: [{ kind: "file", path: join(dir, "state", "audit-anchors.jsonl") }] });
    assert.deepEqual(parse({ anchor: { sinks: [] } }).audit.anchor.sinks, [], "[] turns anchoring off");
  });

  it("resolves file paths from the configuration's folder and fills syslog defaults", () => {
    const sinks = parse({ anchor: { sinks: [{ kind: "file", path: "../elsewhere/anchors.jsonl" }, { kind: "syslog", host: "logs.example.com" }] } }).audit.anchor.sinks;
    assert.deepEqual(sinks, [
      { kind: "file", path: join(dir, "..", "elsewhere", "anchors.jsonl") },
      { kind: "syslog", host: "logs.example.com", port: 514, protocol: "udp", facility: 13, timeoutMs: 5000 },
    ]);
  });

  it("takes a Standard Webhooks secret from a reference and never shows it", () => {
    const url = "https://user:pass@siem.example.com/hooks/verity?token=abc";
    const sink = parse({ anchor: { sinks: [{ kind: "webhook", url, secret: "${ANCHOR_SECRET}" }] } }, { ANCHOR_SECRET: SECRET }).audit.anchor.sinks?.[0];
    assert.equal(sink?.kind, "webhook");
    assert.ok(sink?.kind === "webhook" && sink.secret.reveal() === SECRET && sink.timeoutMs === 15_000);
    assert.ok(!inspect(sink).includes(SECRET) && !JSON.stringify(sink).includes(SECRET));
    assert.equal(anchorSinkLabel(sink), "https://siem.example.com", "labels carry no credentials, path or query");
  });

  it("refuses a webhook secret that is not whsec_ and 24 to 64 bytes, without printing it", () => {
    const weak = "whsec_c2hvcnQ=";
    const problems = problemsOf({ anchor: { sinks: [{ kind: "webhook", url: "https://x.example", secret: "${S}" }] } }, { S: weak });
    assert.deepEqual(problems.map((p) => p.path), ["audit.anchor.sinks[0].secret"]);
    assert.match(problems[0]?.message ?? "", /whsec_ followed by the base64 of 24 to 64 random bytes/);
    assert.ok(!JSON.stringify(problems).includes(weak));
  });

  it("reports every other mistake with its path", () => {
    const problems = problemsOf({
      anchor: {
        intervalSeconds: 5,
        sinks: [{ kind: "s3", bucket: "b" }, { kind: "syslog", host: "h", protocol: "tls" }, { kind: "webhook", url: "ftp://x", secret: SECRET }],
      },
    });
    const paths = problems.map((p) => p.path);
    for (const path of ["audit.anchor.intervalSeconds", "audit.anchor.sinks[0].kind", "audit.anchor.sinks[1].protocol", "audit.anchor.sinks[2].url"]) {
      assert.ok(paths.includes(path), `${path} in ${paths.join(", ")}`);
    }
  });
});
