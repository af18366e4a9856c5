import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { runCli, type CliResult } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_DIRECTORY_YAML } from "../helpers/fixtures.js";
import { testConfig } from "../helpers/runtime.js";

const dir = mkdtempSync(join(tmpdir(), "verity-config-check-"));
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
    for (const said of [/Warnings \(on stderr\)/, /NIST\s+SP 800-63B/, /line, column and error code/]) assert.match(help.stdout, said);
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
