import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { interpolate } from "../../src/config/interpolate.js";
import { configProblems, loadConfigFile, parseConfig } from "../../src/config/load.js";
import { effectiveSettings } from "../../src/config/schema.js";
import { Secret } from "../../src/config/secret.js";

const dir = mkdtempSync(join(tmpdir(), "verity-config-"));
const base = {
  providers: { console: { kind: "console" } },
  tenants: [{ id: "acme", name: "Acme", domains: ["acme.test"], directory: { kind: "file", path: "dir.yaml" }, methods: { sms: "console" } }],
};
const parse = (raw: unknown, env: NodeJS.ProcessEnv = {}) => parseConfig(raw, { env, baseDir: dir, source: "test", demo: false });
const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    const problems = configProblems(error);
    if (problems !== undefined) return problems;
    throw error;
  }
  assert.fail("expected the configuration to be refused");
};

describe("configuration", () => {
  it("fills defaults, resolves paths against the file's folder and freezes the result", () => {
    const { config } = parse(base);
    assert.equal(config.server.host, "127.0.0.1");
    assert.equal(config.verification.codeLength, 6);
    assert.equal(config.verification.codeTtlSeconds, 600);
    assert.equal(config.verification.maxChecks, 5);
    assert.deepEqual(config.tenants[0]?.directory, { kind: "file", path: join(dir, "dir.yaml") });
    assert.equal(config.database.url, `sqlite:${join(dir, "data", "verity.db")}`);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tenants[0]) && Object.isFrozen(config.verification.limits));
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
  });

  it("reports every problem at once, each with its path", () => {
    const problems = problemsOf(() =>
      parse({
        server: { port: 70000, surprise: true },
        verification: { codeLength: 4 },
        providers: { console: { kind: "console" }, bad: { kind: "carrier-pigeon" } },
        tenants: [
          { id: "Acme!", name: "", directory: { kind: "file", path: "x" }, methods: { sms: "missing", fax: "console" } },
          { id: "b", name: "B", directory: { kind: "file", path: "y" }, methods: { "simulated-push": "console" } },
        ],
      }),
    );
    const paths = problems.map((p) => p.path);
    for (const expected of ["server.port", "server", "verification.codeLength", "providers.bad.kind", "tenants[0].id", "tenants[0].name", "tenants[0].methods.fax"]) {
      assert.ok(paths.includes(expected), `expected a problem at ${expected}; got ${paths.join(", ")}`);
    }
  });

  it("cross-checks methods against providers", () => {
    const problems = problemsOf(() =>
      parse({
        providers: { console: { kind: "console", channels: ["email"] } },
        tenants: [{ id: "a", name: "A", directory: { kind: "file", path: "d" }, methods: { sms: "console", email: "nope", "duo-push": "console" } }],
      }),
    );
    assert.deepEqual(
      problems.map((p) => `${p.path}: ${p.message}`).sort(),
      [
        "tenants[0].methods.duo-push: provider 'console' (console) cannot serve duo-push",
        "tenants[0].methods.email: provider 'nope' is not defined under providers",
        "tenants[0].methods.sms: provider 'console' (console) cannot serve sms",
      ].sort(),
    );
  });

  it("refuses duplicate tenant ids and a domain claimed twice", () => {
    const tenant = base.tenants[0]!;
    const problems = problemsOf(() => parse({ ...base, tenants: [tenant, { ...tenant, name: "Again" }, { ...tenant, id: "other" }] }));
    assert.ok(problems.some((p) => p.path === "tenants[1].id" && p.message.includes("duplicates")));
    assert.ok(problems.some((p) => p.path === "tenants[2].domains" && p.message.includes("acme.test")));
  });

  it("requires a shared hash key with PostgreSQL", () => {
    const problems = problemsOf(() => parse({ ...base, database: { url: "postgres://db/verity" } }));
    assert.ok(problems.some((p) => p.path === "security.hashKey"));
  });

  it("lets a tenant override only what it sets", () => {
    const { config } = parse({
      ...base,
      verification: { codeLength: 8, limits: { pushes: { max: 2, windowSeconds: 600 } } },
      tenants: [{ ...base.tenants[0], verification: { maxChecks: 3 } }],
    });
    const settings = effectiveSettings(config, config.tenants[0]!);
    assert.equal(settings.codeLength, 8);
    assert.equal(settings.maxChecks, 3);
    assert.deepEqual(settings.limits.pushes, { max: 2, windowSeconds: 600 });
    assert.deepEqual(settings.limits.failures, { max: 10, windowSeconds: 86_400 });
  });
});

describe("secret references", () => {
  it("reads ${NAME} from the environment, else NAME_FILE, and ${file:...}", () => {
    const secretFile = join(dir, "key.txt");
    writeFileSync(secretFile, "from-a-file\n");
    const env = { A: "from-env", B_FILE: secretFile };
    const { value, problems } = interpolate({ x: "${A}", y: ["pre-${B}-post"], z: `\${file:${secretFile}}`, lit: "$${A}" }, env);
    assert.deepEqual(problems, []);
    assert.deepEqual(JSON.parse(JSON.stringify(value)), { x: "from-env", y: ["pre-from-a-file-post"], z: "from-a-file", lit: "${A}" });
  });

  it("reports unset variables and unreadable files by path, without values", () => {
    const { problems } = interpolate({ a: { b: "${NOPE}" }, c: "${file:/no/such/file}", d: "${not valid}" }, { OTHER: "s3cr3t" });
    assert.deepEqual(
      problems.map((p) => p.path),
      ["a.b", "c", "d"],
    );
    assert.ok(problems.every((p) => !p.message.includes("s3cr3t")));
  });

  it("keeps secrets out of strings, JSON, inspect and config-check output", () => {
    const key = "super-secret-hash-key-material-0123456789";
    const { config } = parse({ ...base, security: { hashKey: "${KEY}" } }, { KEY: key });
    const secret = config.security.hashKey;
    assert.ok(secret instanceof Secret);
    assert.equal(secret.reveal(), key);
    assert.ok(!String(secret).includes(key));
    assert.ok(!JSON.stringify(config).includes(key));
    assert.ok(!inspect(config, { depth: 10 }).includes(key));
  });

  it("never echoes a secret in a validation message", () => {
    const problems = problemsOf(() => parse({ ...base, security: { hashKey: "${KEY}" } }, { KEY: "short-secret" }));
    assert.ok(problems.some((p) => p.path === "security.hashKey"));
    assert.ok(problems.every((p) => !p.message.includes("short-secret")));
  });
});

describe("configuration files", () => {
  it("reports YAML syntax errors with their line", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "tenants:\n  - id: a\n   name: b\n");
    const problems = problemsOf(() => loadConfigFile(file, {}));
    assert.match(problems[0]?.path ?? "", /yaml line \d+/);
  });

  it("says when the file is missing", () => {
    const problems = problemsOf(() => loadConfigFile(join(dir, "absent.yaml"), {}));
    assert.match(problems[0]?.message ?? "", /does not exist/);
  });

  it("rejects duplicate keys rather than silently keeping one", () => {
    const file = join(dir, "dupe.yaml");
    writeFileSync(file, "dataDir: a\ndataDir: b\ntenants: []\n");
    const problems = problemsOf(() => loadConfigFile(file, {}));
    assert.ok(problems.length > 0);
  });
});
