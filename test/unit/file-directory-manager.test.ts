import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createFileDirectory } from "../../src/adapters/directory/file/file-directory.js";
import { isVerityError } from "../../src/domain/errors.js";
import { usableManager } from "../../src/domain/manager.js";

const dir = mkdtempSync(join(tmpdir(), "verity-dir-manager-"));
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const YAML = `
organisation: Acme
users:
  - { id: u-1, upn: jane@acme.test, displayName: Jane Doe, manager: MAX@acme.test }
  - { id: u-2, upn: max@acme.test, mail: max.boss@acme.test, displayName: Max Boss, manager: u-3 }
  - { id: u-3, upn: cleo@acme.test, displayName: Cleo Chief }
`;

async function problemsOf(path: string): Promise<{ path: string; message: string }[]> {
  try {
    await createFileDirectory({ path }).load();
  } catch (error) {
    assert.ok(isVerityError(error) && error.code === "DIRECTORY_INVALID");
    return error.details as { path: string; message: string }[];
  }
  assert.fail("expected the file to be refused");
}

describe("file directory: managers", () => {
  it("resolves a manager named by upn, mail or id (any case) to that user, with their mail (else upn) as the address", async () => {
    const directory = createFileDirectory({ path: write("m.yaml", YAML) });
    await directory.load();
    const jane = await directory.findUser("jane@acme.test");
    assert.deepEqual(jane?.manager, { id: "u-2", displayName: "Max Boss", email: "max.boss@acme.test" });
    assert.deepEqual((await directory.findUser("u-2"))?.manager, { id: "u-3", displayName: "Cleo Chief", email: "cleo@acme.test" });
    assert.equal((await directory.findUser("u-3"))?.manager, undefined);
    const usable = usableManager(jane);
    assert.ok("manager" in usable && usable.manager.email === "max.boss@acme.test");
  });

  it("reads a manager column from CSV", async () => {
    const path = write("m.csv", ["id,upn,displayName,manager", "g-1,hank@globex.test,Hank Scorpio,", "g-2,homer@globex.test,Homer Simpson,hank@globex.test"].join("\n"));
    const directory = createFileDirectory({ path });
    await directory.load();
    assert.deepEqual((await directory.findUser("g-2"))?.manager, { id: "g-1", displayName: "Hank Scorpio", email: "hank@globex.test" });
    assert.equal((await directory.findUser("g-1"))?.manager, undefined);
  });

  it("refuses at load a manager no user of the file is, and a user who is their own manager, naming the rows", async () => {
    const problems = await problemsOf(
      write(
        "bad.yaml",
        `users:
  - { id: u-1, upn: jane@acme.test, displayName: Jane Doe, manager: nobody@acme.test }
  - { id: u-2, upn: max@acme.test, displayName: Max Boss, manager: u-2 }
  - { id: u-3, upn: cleo@acme.test, displayName: Cleo Chief, manager: cleo }
`,
      ),
    );
    assert.deepEqual(problems, [
      { path: "users[0].manager", message: "nobody@acme.test is not the id, upn or mail of a user in this file" },
      { path: "users[1].manager", message: "a user cannot be their own manager" },
      { path: "users[2].manager", message: "cleo is not the id, upn or mail of a user in this file" },
    ]);
  });

  it("refuses a manager's address that is one of the caller's own (an alternate email registered by the caller)", async () => {
    const directory = createFileDirectory({
      path: write(
        "own.yaml",
        `users:
  - { id: u-1, upn: jane@acme.test, displayName: Jane Doe, manager: u-2, alternateEmails: [max@acme.test] }
  - { id: u-2, upn: max@acme.test, displayName: Max Boss }
`,
      ),
    });
    await directory.load();
    const jane = await directory.findUser("u-1");
    const usable = usableManager(jane!);
    assert.ok("reason" in usable);
    assert.match(usable.reason, /one of the caller's own/);
  });
});
