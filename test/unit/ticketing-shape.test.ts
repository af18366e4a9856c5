import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { TICKETING_ADAPTERS } from "../../src/adapters/ticketing/registry.js";
import { repoRoot } from "../contract/contract-files.js";

const root = repoRoot(import.meta.url);
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
const imports = (path: string) => [...readFileSync(path, "utf8").matchAll(/^import[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1] ?? "");

/**
 * Issue 11: a ticketing product is one folder under src/adapters/ticketing/, a line in the
 * registry, its fake and its docs page. Nothing else in src/ may reach into a product's folder,
 * so adding the next one changes nothing in the engine.
 */
describe("the shape of ticketing products", () => {
  const folders = readdirSync(join(root, "src/adapters/ticketing")).filter((name) => statSync(join(root, "src/adapters/ticketing", name)).isDirectory() && name !== "shared");

  it("no code outside src/adapters/ticketing/ imports a product's folder", () => {
    const outside = files(join(root, "src")).filter((f) => !f.startsWith(join(root, "src/adapters/ticketing/")));
    assert.ok(outside.flatMap(imports).filter((i) => i.includes("adapters/ticketing/registry")).length >= 1, "the reader sees imports (the registry's, at least)");
    const offenders = outside.flatMap((f) => imports(f).filter((i) => folders.some((folder) => i.includes(`ticketing/${folder}/`))).map((i) => `${relative(root, f)} → ${i}`));
    assert.deepEqual(offenders, []);
  });

  it("no product's folder imports another's (shared code lives in shared/)", () => {
    const offenders = folders.flatMap((folder) =>
      files(join(root, "src/adapters/ticketing", folder)).flatMap((f) =>
        imports(f)
          .filter((i) => folders.some((other) => other !== folder && (i.includes(`../${other}/`) || i.includes(`ticketing/${other}/`))))
          .map((i) => `${relative(root, f)} → ${i}`),
      ),
    );
    assert.deepEqual(offenders, []);
  });

  it("every registered product has its folder, its fake, its end-to-end suite and its docs page", () => {
    assert.ok(TICKETING_ADAPTERS.length >= 7);
    for (const adapter of TICKETING_ADAPTERS) {
      const folder = folders.find((f) => files(join(root, "src/adapters/ticketing", f)).some((path) => readFileSync(path, "utf8").includes(`vendor: "${adapter.vendor}"`)));
      assert.ok(folder !== undefined, `${adapter.kind}: no folder defines it`);
      assert.ok(statSync(join(root, "test/fakes", folder), { throwIfNoEntry: false })?.isDirectory(), `${adapter.kind}: test/fakes/${folder}`);
      const e2e = files(join(root, "test/adapters", folder)).some((path) => path.endsWith("-e2e.test.ts") && readFileSync(path, "utf8").includes("describeTicketingSystem("));
      assert.ok(e2e, `${adapter.kind}: test/adapters/${folder}/*-e2e.test.ts runs the shared suite`);
      const docs = readdirSync(join(root, "docs/integrations"));
      assert.ok(
        docs.some((page) => readFileSync(join(root, "docs/integrations", page), "utf8").includes(`kind: ${adapter.kind}`)),
        `${adapter.kind}: a docs/integrations page shows its configuration`,
      );
    }
  });
});
