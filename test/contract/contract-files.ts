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

/** Where a vendor contract from the sibling `shared/contracts` folder would be, and whether it is. */
export function sharedContract(relative: string): { readonly path: string; readonly present: boolean } {
  const path = resolve(repoRoot(), "..", "shared", "contracts", relative);
  return { path, present: existsSync(path) };
}
