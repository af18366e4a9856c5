import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { dataFolderProblems, withDataFolder } from "../../src/config/data-folder.js";
import { configProblems } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "verity-data-folder-"));
const file = join(dir, "a-file");
writeFileSync(file, "x");

describe("the data folder check", () => {
  it("accepts an existing writable folder and one that can still be created, creating nothing", () => {
    mkdirSync(join(dir, "existing"));
    assert.deepEqual(dataFolderProblems({ dataDir: join(dir, "existing"), sqliteFile: join(dir, "existing", "verity.db"), hashKeyFile: join(dir, "existing", "hash.key") }), []);
    const later = join(dir, "not", "yet");
    assert.deepEqual(dataFolderProblems({ dataDir: later, sqliteFile: join(dir, "db", "verity.db"), hashKeyFile: undefined }), []);
    assert.throws(() => mkdirSync(later), { code: "ENOENT" });
  });

  it("names the setting and the file in the way, once per cause", () => {
    const problems = dataFolderProblems({ dataDir: join(file, "data"), sqliteFile: join(file, "data", "verity.db"), hashKeyFile: join(file, "data", "hash.key") });
    assert.deepEqual(problems.map((p) => p.path), ["dataDir"]);
    assert.match(problems[0]?.message ?? "", /a-file is a file, not a folder \(ENOTDIR\); set dataDir to a folder$/);
    const database = dataFolderProblems({ dataDir: dir, sqliteFile: join(file, "verity.db"), hashKeyFile: undefined });
    assert.deepEqual(database.map((p) => p.path), ["database.url"]);
  });

  it("turns a start-up failure on the data folder into CONFIG_INVALID with what to fix, and lets others through", () => {
    const step = { setting: "dataDir", path: join(file, "data"), denied: "is not writable by this user" } as const;
    let thrown: unknown;
    try {
      withDataFolder(step, () => mkdirSync(join(file, "data"), { recursive: true }));
    } catch (error) {
      thrown = error;
    }
    assert.deepEqual(configProblems(thrown), [{ path: "dataDir", message: `${join(file, "data")}: a file stands where a folder should be (ENOTDIR); set dataDir to a folder` }]);
    assert.throws(() => withDataFolder(step, () => { throw new RangeError("other"); }), RangeError);
    assert.equal(withDataFolder(step, () => 42), 42);
  });
});
