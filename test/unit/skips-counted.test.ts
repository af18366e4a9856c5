import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";

const CONTRACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "contract");

/**
 * Issue 9 #22: outside CI the contract suites skip (a user's clone has no ../shared), and the
 * runner's summary must count them as skipped, each with its reason, rather than say `skipped 0`.
 */
it("counts every contract suite it cannot run as skipped, with the reason", () => {
  const files = readdirSync(CONTRACTS).filter((f) => f.endsWith(".test.js")).map((f) => join(CONTRACTS, f));
  assert.ok(files.length >= 5, "the contract suites are there");
  const env: NodeJS.ProcessEnv = { ...process.env, VERITY_CONTRACTS_DIR: "/nonexistent-contracts" };
  delete env.VERITY_REQUIRE_CONTRACTS;
  delete env.NODE_TEST_CONTEXT;
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=tap", ...files], { env, encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const skipped = Number(/^# skipped (\d+)$/m.exec(run.stdout)?.[1] ?? -1);
  assert.equal(skipped, files.length, run.stdout);
  assert.equal((run.stdout.match(/# SKIP .*not at \/nonexistent-contracts\//g) ?? []).length, files.length, "each says why");
});
