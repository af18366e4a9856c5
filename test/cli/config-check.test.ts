import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { runCli, type CliResult } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_DIRECTORY_YAML } from "../helpers/fixtures.js";
import { testConfig } from "../helpers/runtime.js";

// Readable by every user: one case runs the CLI as `nobody`.
const dir = mkdtempSync(join(tmpdir(), "verity-config-check-"));
chmodSync(dir, 0o755);
writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML, { mode: 0o644 });

const writeConfig = (name: string, raw: Record<string, unknown>): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof raw.yaml === "string" ? raw.yaml : stringify(raw), { mode: 0o644 });
  return path;
};
const check = (config: string, options: Omit<Parameters<typeof runCli>[1], "cwd"> = {}) => runCli(["config", "check", "--config", config], { cwd: dir, ...options });
const output = (result: CliResult) => `${result.stdout}\n${result.stderr}`;

/** Starts `verity serve`, waits until it listens, stops it with SIGTERM. */
const serveUntilListening = (config: string) =>
  runCli(["serve", "--config", config, "--port", "0"], {
    cwd: dir,
    interact: async (child, stdout) => {
      await waitFor(() => /listening on/.test(stdout()), 10_000);
      child.kill("SIGTERM");
    },
  });

describe("config check: warnings", () => {
  it("says in --help what it checks and warns about", async () => {
    const help = await runCli(["config", "--help"], { cwd: dir });
    assert.equal(help.code, 0);
    for (const said of [/data folder \(dataDir\)/, /Warnings \(on stderr\)/, /NIST\s+SP 800-63B/, /line, column and error code/]) assert.match(help.stdout, said);
  });

  it("warns about a literal secret without printing it, exits 0, and serve logs the warning once", async () => {
    const hashKey = "literal-hash-key-material-0123456789abcdef";
    const config = writeConfig("literal.yaml", testConfig(dir, { dataDir: join(dir, "data-literal"), security: { hashKey } }));
    const result = await check(config);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Configuration OK/);
    assert.match(result.stderr, /^Warning: security\.hashKey: written literally in the file; use \$\{ENV_NAME\} or \$\{file:\/path\}/m);
    assert.ok(!output(result).includes(hashKey));

    const served = await serveUntilListening(config);
    assert.equal(served.code, 0, served.stderr);
    const logged = served.stdout.split("\n").filter((l) => l.includes("written literally"));
    assert.equal(logged.length, 1, served.stdout);
    assert.match(logged[0] ?? "", /"level":40/);
    assert.match(logged[0] ?? "", /security\.hashKey/);
    assert.ok(!output(served).includes(hashKey));
  });

  it("warns about a code lifetime above 10 minutes and more than 5 checks", async () => {
    const config = writeConfig("lax.yaml", testConfig(dir, { dataDir: join(dir, "data-lax"), verification: { codeTtlSeconds: 3600, maxChecks: 10 } }));
    const result = await check(config);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^Warning: verification\.codeTtlSeconds: .*NIST SP 800-63B/m);
    assert.match(result.stderr, /^Warning: verification\.maxChecks: .*Verity's default of 5/m);
  });
});

describe("config check and serve: YAML syntax errors", () => {
  it("never echo the line of a password", async () => {
    const password = "Tr0ub4dor-correct-horse-staple";
    const yaml = `dataDir: ./data-yaml\nproviders:\n  halo-hook:\n    password: > ${password}\ntenants: []\n`;
    const config = writeConfig("typo.yaml", { yaml });
    for (const command of [["config", "check"], ["serve"]]) {
      const result = await runCli([...command, "--config", config], { cwd: dir });
      assert.ok(!output(result).includes("Tr0ub4dor"), `${command.join(" ")} printed the password:\n${output(result)}`);
      assert.equal(result.code, 78, `${command.join(" ")}: ${output(result)}`);
      assert.match(result.stderr, /yaml line 4, column \d+/);
    }
  });
});

describe("config check and the data folder", () => {
  const blocker = join(dir, "a-file");
  writeFileSync(blocker, "not a folder", { mode: 0o644 });

  it("refuses a data folder under a regular file (ENOTDIR), and serve and lookup exit 78 with the same advice", async () => {
    const config = writeConfig("notdir.yaml", testConfig(dir, { dataDir: join(blocker, "data") }));
    const result = await check(config);
    assert.equal(result.code, 78, output(result));
    assert.match(result.stderr, /^ {2}dataDir: .*a-file.*ENOTDIR.*set dataDir/m);
    for (const command of [["serve"], ["lookup", "jane@acme.test"], ["token", "list"]]) {
      const run = await runCli([...command, "--config", config], { cwd: dir });
      assert.equal(run.code, 78, `${command[0]}: ${output(run)}`);
      assert.match(run.stderr, /dataDir: .*ENOTDIR.*set dataDir/, command[0]);
      assert.ok(!/unexpected error|\n\s+at /.test(run.stderr), run.stderr);
    }
  });

  it("stops the demo with exit 78 when ./data is a file", async () => {
    const cwd = join(dir, "demo-cwd");
    mkdirSync(cwd);
    writeFileSync(join(cwd, "data"), "not a folder");
    const result = await runCli(["demo", "--port", "0"], { cwd });
    assert.equal(result.code, 78, output(result));
    assert.match(result.stderr, /dataDir: .*ENOTDIR/);
    assert.match(result.stderr, /run it from a folder this user can write/);
    assert.ok(!/unexpected error|\n\s+at /.test(result.stderr), result.stderr);
  });

  it("refuses a dataDir that is a file", async () => {
    const result = await check(writeConfig("file-datadir.yaml", testConfig(dir, { dataDir: blocker })));
    assert.equal(result.code, 78, output(result));
    assert.match(result.stderr, /^ {2}dataDir: .*not a folder/m);
  });

  it("refuses a folder this user cannot write (EACCES), run as nobody", async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip("needs root to run the CLI as another user (as root, permission bits do not apply)");
      return;
    }
    const nobody = { uid: 65534, gid: 65534 };
    const probe = await runCli(["--version"], { cwd: dir, user: nobody });
    if (probe.code !== 0) {
      t.skip(`the compiled CLI is not readable by uid 65534 here: ${probe.stderr.trim()}`);
      return;
    }
    const locked = join(dir, "locked");
    mkdirSync(locked, { mode: 0o500 });
    chmodSync(locked, 0o500);
    const cases = [
      { name: "dataDir inside it", raw: testConfig(dir, { dataDir: join(locked, "data") }), setting: /dataDir: /, shown: /not writable by this user \(EACCES\)/ },
      { name: "dataDir is it", raw: testConfig(dir, { dataDir: locked }), setting: /dataDir: /, shown: /EACCES/ },
      {
        name: "the database in it",
        raw: testConfig(dir, { dataDir: locked, security: { hashKey: "${HASH_KEY}" } }),
        setting: /(dataDir|database\.url): /,
        shown: /EACCES|SQLITE_CANTOPEN/,
      },
    ];
    for (const [i, c] of cases.entries()) {
      const config = writeConfig(`locked-${i}.yaml`, c.raw);
      const env = { HASH_KEY: "a-hash-key-from-the-environment-0123456789" };
      const checked = await check(config, { user: nobody, env });
      assert.equal(checked.code, 78, `${c.name}: ${output(checked)}`);
      assert.match(checked.stderr, c.setting, c.name);
      assert.match(checked.stderr, /EACCES/, c.name);
      const served = await runCli(["serve", "--config", config], { cwd: dir, user: nobody, env });
      assert.equal(served.code, 78, `${c.name}: ${output(served)}`);
      assert.match(served.stderr, c.setting, c.name);
      assert.match(served.stderr, c.shown, c.name);
      assert.ok(!/unexpected error|\n\s+at /.test(served.stderr), served.stderr);
    }
  });
});

describe("config check with schema errors", () => {
  it("still reports problems in every directory file, all together", async () => {
    const broken = join(dir, "broken-directory.yaml");
    writeFileSync(broken, "users:\n  - { id: a, upn: a@acme.test, displayName: A, phones: { mobile: '+44 12' } }\n", { mode: 0o644 });
    const raw = testConfig(dir, { server: { port: "eighty" } });
    const tenants = raw.tenants as Record<string, unknown>[];
    const config = writeConfig("schema-and-directory.yaml", {
      ...raw,
      tenants: [tenants[0], { id: "globex", name: "Globex", domains: ["globex.test"], directory: { kind: "file", path: broken }, methods: { sms: "console" }, colour: "blue" }],
    });
    const result = await check(config);
    assert.equal(result.code, 78);
    assert.match(result.stderr, /^ {2}server\.port: /m);
    assert.match(result.stderr, /^ {2}tenants\[1\]: /m);
    assert.match(result.stderr, /^ {2}tenants\[1\]\.directory users\[0\]\.phones\.mobile: /m);
  });
});
