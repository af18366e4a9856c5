// Runs every compiled test file with node's test runner. Node 20 does not expand globs in
// `node --test`, so the files are listed here; extra arguments pass through (e.g. a subset:
// `node scripts/run-tests.mjs dist/test/unit`).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith("-"));
const flags = args.filter((a) => a.startsWith("-"));

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith(".test.js") ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => collect(join(path, name)));
}

const files = (roots.length > 0 ? roots : ["dist/test"]).flatMap(collect);
if (files.length === 0) {
  console.error("no test files found; run `npm run build` first");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...flags, ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
