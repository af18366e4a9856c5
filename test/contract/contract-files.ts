import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root: the nearest folder above this file holding package.json. Compiled tests
 * live in dist-*\/test/contract, so a fixed number of `..` would break with another outDir.
 */
export function repoRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("no package.json above the test files");
    dir = parent;
  }
}

/**
 * Where a vendor contract is: under $VERITY_CONTRACTS_DIR when set, else in the `shared/contracts`
 * folder beside the repository. With VERITY_REQUIRE_CONTRACTS=1 (CI) a missing contract is an
 * error rather than a skip, so the check cannot silently stop running.
 */
export function sharedContract(relative: string): { readonly path: string; readonly present: boolean } {
  const base = process.env.VERITY_CONTRACTS_DIR ?? resolve(repoRoot(), "..", "shared", "contracts");
  const path = resolve(base, relative);
  const present = existsSync(path);
  if (!present && process.env.VERITY_REQUIRE_CONTRACTS === "1") {
    throw new Error(`VERITY_REQUIRE_CONTRACTS is set but the vendor contract ${path} is missing`);
  }
  return { path, present };
}

/**
 * A contract that is not among the shared ones (ConnectWise's and Autotask's definitions are too
 * large or not published as files): looked for in the same place, but never required, so CI
 * reports the suite skipped with the reason instead of failing.
 */
export function optionalContract(relative: string): { readonly path: string; readonly present: boolean } {
  const base = process.env.VERITY_CONTRACTS_DIR ?? resolve(repoRoot(), "..", "shared", "contracts");
  const path = resolve(base, relative);
  return { path, present: existsSync(path) };
}
