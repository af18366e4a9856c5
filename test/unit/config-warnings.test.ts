import assert from "node:assert/strict";
import { TICKETING_ADAPTERS } from "../../src/adapters/ticketing/registry.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { demoConfig } from "../../src/config/demo.js";
import { configProblems, loadConfigFile, parseConfig, type ConfigProblem } from "../../src/config/load.js";
import { testCertificate } from "../fakes/entra/test-certificate.js";

const dir = mkdtempSync(join(tmpdir(), "verity-config-warnings-"));
const tenant = { id: "acme", name: "Acme", domains: ["acme.test"], directory: { kind: "file", path: "dir.yaml" }, methods: { sms: "console" } };
const base = { providers: { console: { kind: "console" } }, tenants: [tenant] };
const parse = (raw: unknown, env: NodeJS.ProcessEnv = {}) => parseConfig(raw, { env, baseDir: dir, source: "test", demo: false });
const byPath = (warnings: readonly ConfigProblem[]) => new Map(warnings.map((w) => [w.path, w.message]));
const problemsOf = (fn: () => unknown): ConfigProblem[] => {
  try {
    fn();
  } catch (error) {
    const problems = configProblems(error);
    if (problems !== undefined) return problems;
    throw error;
  }
  assert.fail("expected the configuration to be refused");
};

const HASH_KEY = "literal-hash-key-material-0123456789abcdef";
const AUTH_TOKEN = "literal-twilio-auth-token-value";
const HALO_SECRET = "literal-halo-client-secret";
const HALO_PASSWORD = "literal-halo-webhook-password-0123456789";

describe("configuration warnings: secrets written in the file", () => {
  const withLiterals = {
    ...base,
    security: { hashKey: HASH_KEY },
    providers: {
      console: { kind: "console" },
      sms: { kind: "twilio", accountSid: `AC${"0".repeat(32)}`, auth: { kind: "authToken", authToken: AUTH_TOKEN }, from: "+14155550100" },
    },
    ticketing: {
      halo: {
        kind: "halopsa",
        authUrl: "https://halo.test/auth",
        apiUrl: "https://halo.test/api",
        clientId: "verity",
        clientSecret: HALO_SECRET,
        webhook: { kind: "basic", username: "halo", password: HALO_PASSWORD },
      },
    },
  };

  it("warns about every literal secret by its path, never with its value, and still loads", () => {
    const loaded = parse(withLiterals);
    const warnings = byPath(loaded.warnings);
    for (const path of ["security.hashKey", "providers.sms.auth.authToken", "ticketing.halo.clientSecret", "ticketing.halo.webhook.password"]) {
      assert.match(warnings.get(path) ?? "", /written literally in the file; use \$\{ENV_NAME\} or \$\{file:\/path\}/, `a warning at ${path}`);
    }
    assert.equal(loaded.warnings.length, 4, JSON.stringify(loaded.warnings));
    const text = JSON.stringify(loaded.warnings);
    for (const secret of [HASH_KEY, AUTH_TOKEN, HALO_SECRET, HALO_PASSWORD]) assert.ok(!text.includes(secret));
  });

  it("says nothing about secrets that come from ${ENV}, ${file:…} or a reference inside a longer value", () => {
    const secretFile = join(dir, "halo-secret.txt");
    writeFileSync(secretFile, `${HALO_SECRET}\n`);
    const referenced = structuredClone(withLiterals);
    referenced.security.hashKey = "${HASH_KEY}";
    referenced.providers.sms.auth.authToken = "${TWILIO_AUTH_TOKEN}";
    referenced.ticketing.halo.clientSecret = `\${file:${secretFile}}`;
    referenced.ticketing.halo.webhook.password = "prefix-${HALO_PASSWORD}";
    const loaded = parse(referenced, { HASH_KEY, TWILIO_AUTH_TOKEN: AUTH_TOKEN, HALO_PASSWORD });
    assert.deepEqual(loaded.warnings, []);
  });

  it("counts an inline certificate private key as a secret", () => {
    const { privateKey, certificate } = testCertificate("verity-config-warnings");
    const entra = { kind: "entra", clientId: "3f0c6a4e-7b0b-4a5e-9d7e-2d0f6f0b1c2d", tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" };
    const inline = parse({ ...base, tenants: [{ ...tenant, directory: { ...entra, credential: { kind: "certificate", privateKey, certificate } } }] });
    assert.deepEqual([...byPath(inline.warnings).keys()], ["tenants[0].directory.credential.privateKey"]);
    assert.ok(!JSON.stringify(inline.warnings).includes("PRIVATE KEY"));
    const fromEnv = parse(
      { ...base, tenants: [{ ...tenant, directory: { ...entra, credential: { kind: "certificate", privateKey: "${ENTRA_KEY}", certificate } } }] },
      { ENTRA_KEY: privateKey },
    );
    assert.deepEqual(fromEnv.warnings, []);
  });

  it("keeps the built-in demo and the shipped examples free of warnings", () => {
    assert.deepEqual(demoConfig({}, dir).warnings, []);
    const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
    const env = {
      VERITY_DATABASE_URL: "postgres://verity@db.internal:5432/verity",
      VERITY_HASH_KEY: "an-example-key-that-is-long-enough-0123456789",
      TWILIO_AUTH_TOKEN: "twilio-auth-token-value",
      HALO_CLIENT_SECRET: "halo-client-secret-value",
      HALO_WEBHOOK_PASSWORD: "a-webhook-password-of-24-chars-or-more",
      ENTRA_CLIENT_SECRET: "entra-client-secret-value",
      DUO_SECRET_KEY: "duo-secret-key-value-0123456789abcdef0123",
      OKTA_API_TOKEN: "okta-api-token-value",
      VERITY_SSO_CLIENT_SECRET: "sso-client-secret-value",
      CW_PUBLIC_KEY: "cw-public-key",
      CW_PRIVATE_KEY: "cw-private-key-value",
      AUTOTASK_SECRET: "autotask-secret-value",
      AUTOTASK_INTEGRATION_CODE: "AUTOTASKINTEGRATIONCODE0",
      AUTOTASK_WEBHOOK_SECRET_KEY: "an-autotask-secret-key-of-24-chars",
      SNOW_CLIENT_SECRET: "snow-client-secret-value",
      SNOW_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
      FRESHSERVICE_API_KEY: "freshservice-api-key-value",
      FRESHSERVICE_WEBHOOK_TOKEN: "a-freshservice-token-of-24-chars-or-more",
      ZENDESK_API_TOKEN: "zendesk-api-token-value",
      ZENDESK_WEBHOOK_SECRET: "a-zendesk-signing-secret-0123456789",
      JSM_API_TOKEN: "jsm-api-token-value",
      JSM_WEBHOOK_SECRET: "a-jira-webhook-secret-of-24-chars-or-more",
    };
    assert.deepEqual(loadConfigFile(join(examples, "verity.example.yaml"), env).warnings, []);
    assert.deepEqual(loadConfigFile(join(examples, "verity.msp.example.yaml"), env).warnings, []);
    const everyDesk = loadConfigFile(join(examples, "verity.ticketing.example.yaml"), env);
    assert.deepEqual(everyDesk.warnings, []);
    assert.deepEqual(
      [...new Set(Object.values(everyDesk.config.ticketing).map((t) => t.kind))].sort(),
      TICKETING_ADAPTERS.map((a) => a.kind).sort(),
      "the example shows every ticketing system Verity speaks",
    );
  });
});

describe("configuration warnings: code lifetime and checks", () => {
  it("warns above 10 minutes (NIST SP 800-63B) and above 5 checks (Verity's default), top level and per tenant", () => {
    const loaded = parse({
      ...base,
      verification: { codeTtlSeconds: 3600, maxChecks: 10 },
      tenants: [{ ...tenant, verification: { codeTtlSeconds: 601, maxChecks: 6 } }],
    });
    const warnings = byPath(loaded.warnings);
    for (const path of ["verification.codeTtlSeconds", "tenants[0].verification.codeTtlSeconds"]) {
      assert.match(warnings.get(path) ?? "", /NIST SP 800-63B.*10 minutes/, path);
    }
    for (const path of ["verification.maxChecks", "tenants[0].verification.maxChecks"]) {
      assert.match(warnings.get(path) ?? "", /Verity's default of 5/, path);
    }
    assert.equal(loaded.warnings.length, 4);
    assert.equal(loaded.config.verification.codeTtlSeconds, 3600);
  });

  it("says nothing at 600 seconds and 5 checks, and keeps the hard maxima", () => {
    assert.deepEqual(parse({ ...base, verification: { codeTtlSeconds: 600, maxChecks: 5 } }).warnings, []);
    const problems = problemsOf(() => parse({ ...base, verification: { codeTtlSeconds: 3601, maxChecks: 11 } }));
    assert.deepEqual(problems.map((p) => p.path).sort(), ["verification.codeTtlSeconds", "verification.maxChecks"]);
  });
});

describe("YAML syntax errors", () => {
  it("name the line, column and kind of error, never text from the file", () => {
    const file = join(dir, "typo.yaml");
    const password = "Tr0ub4dor-and-3-more-words";
    writeFileSync(file, `providers:\n  sms:\n    password: > ${password}\n    other: |x${password}\n`);
    const problems = problemsOf(() => loadConfigFile(file, {}));
    assert.ok(!JSON.stringify(problems).includes("Tr0ub4dor"), JSON.stringify(problems));
    assert.match(problems[0]?.path ?? "", /^\(yaml line 3, column \d+\)$/);
    assert.match(problems[0]?.message ?? "", /^UNEXPECTED_TOKEN: /);
  });

  it("reports an undefined alias as a configuration problem without its name", () => {
    const file = join(dir, "alias.yaml");
    writeFileSync(file, "dataDir: *s3cr3t-anchor\n");
    const problems = problemsOf(() => loadConfigFile(file, {}));
    assert.ok(problems.length === 1 && !JSON.stringify(problems).includes("s3cr3t"), JSON.stringify(problems));
  });
});

describe("metrics configuration (issue 13)", () => {
  it("refuses metrics with neither a token nor a port of their own", () => {
    const problems = problemsOf(() => parse({ ...base, server: { metrics: {} } }));
    assert.ok(problems.some((p) => p.path.startsWith("server.metrics") && /token .* or a port/.test(p.message)), JSON.stringify(problems));
  });

  it("refuses a short metrics token", () => {
    const problems = problemsOf(() => parse({ ...base, server: { metrics: { token: "${METRICS_TOKEN}" } } }, { METRICS_TOKEN: "short" }));
    assert.ok(problems.some((p) => p.path === "server.metrics.token"), JSON.stringify(problems));
  });

  it("warns when a tokenless metrics listener binds beyond loopback, and not on loopback or with a token", () => {
    const open = byPath(parse({ ...base, server: { metrics: { port: 9464, host: "0.0.0.0" } } }).warnings);
    assert.match(open.get("server.metrics.host") ?? "", /without a token/);
    assert.equal(byPath(parse({ ...base, server: { metrics: { port: 9464 } } }).warnings).has("server.metrics.host"), false);
    const withToken = parse({ ...base, server: { metrics: { port: 9464, host: "0.0.0.0", token: "${T}" } } }, { T: "t".repeat(30) });
    assert.equal(byPath(withToken.warnings).has("server.metrics.host"), false);
  });
});
