import assert from "node:assert/strict";
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseCsv } from "../../src/adapters/directory/file/csv.js";
import { createFileDirectory } from "../../src/adapters/directory/file/file-directory.js";
import { isVerityError } from "../../src/domain/errors.js";
import { TEST_DIRECTORY_YAML } from "../helpers/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "verity-dir-"));
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe("file directory", () => {
  it("finds users by id, UPN or mail, case-insensitively, with phones in E.164", async () => {
    const directory = createFileDirectory({ path: write("d.yaml", TEST_DIRECTORY_YAML) });
    assert.equal(await directory.load(), 5);
    const jane = await directory.findUser("JANE@acme.TEST");
    assert.equal(jane?.id, "u-1");
    assert.equal((await directory.findUser(" u-1 "))?.upn, "Jane@Acme.test");
    assert.deepEqual(jane?.phones.map((p) => [p.type, p.phone.e164]), [["mobile", "+447700900001"]]);
    const chris = await directory.findUser("chris@acme.test");
    assert.deepEqual(chris?.phones.map((p) => [p.type, p.phone.e164]), [
      ["mobile", "+12025550104"],
      ["alternateMobile", "+12025550105"],
    ]);
    assert.equal(await directory.findUser("nobody@elsewhere.test"), null);
  });

  it("reads CSV with quoted fields, lists and provider ids", async () => {
    const path = write(
      "d.csv",
      [
        "id,upn,displayName,mobile,office,alternateEmails,groups,privileged,providerIds",
        'g-1,hank@globex.test,"Scorpio, Hank",+1 202 555 0111,,a@mail.test;b@mail.test,"Execs;Board",true,vip=hscorpio;duo=hank',
        'g-2,homer@globex.test,"Homer ""Max"" Power",,+1 202 555 0199,,,no,',
      ].join("\r\n"),
    );
    const directory = createFileDirectory({ path });
    assert.equal(await directory.load(), 2);
    const hank = await directory.findUser("hank@globex.test");
    assert.equal(hank?.displayName, "Scorpio, Hank");
    assert.deepEqual(hank?.emails, ["a@mail.test", "b@mail.test"]);
    assert.deepEqual(hank?.groups, ["Execs", "Board"]);
    assert.equal(hank?.privileged, true);
    assert.deepEqual(hank?.providerIds, { vip: "hscorpio", duo: "hank" });
    const homer = await directory.findUser("g-2");
    assert.equal(homer?.displayName, 'Homer "Max" Power');
    assert.equal(homer?.privileged, false);
    assert.deepEqual(homer?.phones.map((p) => p.type), ["office"]);
  });

  it("refuses the whole file, listing every bad row, when numbers or fields are invalid", async () => {
    const path = write(
      "bad.yaml",
      `users:
  - { id: a, upn: a@x.test, displayName: A, phones: { mobile: "+44 770" } }
  - { id: b, upn: not-an-email, displayName: B }
  - { id: c, upn: a@x.test, displayName: C, phones: { office: "+999 123456" } }
`,
    );
    await assert.rejects(createFileDirectory({ path }).load(), (error: unknown) => {
      assert.ok(isVerityError(error) && error.code === "DIRECTORY_INVALID");
      const paths = (error.details as { path: string }[]).map((d) => d.path);
      assert.ok(paths.includes("users[0].phones.mobile"));
      assert.ok(paths.some((p) => p.startsWith("users[1].upn")));
      assert.ok(paths.includes("users[2].phones.office"));
      assert.ok(paths.includes("users[2]"), "duplicate UPN is reported");
      return true;
    });
  });

  it("refuses unknown CSV columns and unclosed quotes", async () => {
    await assert.rejects(createFileDirectory({ path: write("x.csv", "id,upn,ssn\n1,a@b.test,123\n") }).load(), /unknown CSV column\(s\): ssn/);
    assert.throws(() => parseCsv('a,"b\n'), /not closed/);
  });

  it("picks up edits without a restart and keeps the last good copy when an edit is broken", async () => {
    const path = write("live.yaml", "users:\n  - { id: a, upn: a@x.test, displayName: Before }\n");
    const directory = createFileDirectory({ path });
    await directory.load();
    assert.equal((await directory.findUser("a"))?.displayName, "Before");
    writeFileSync(path, "users:\n  - { id: a, upn: a@x.test, displayName: After }\n");
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    assert.equal((await directory.findUser("a"))?.displayName, "After");
    writeFileSync(path, "users: [ { id: a, upn: broken");
    utimesSync(path, new Date(), new Date(Date.now() + 10_000));
    assert.equal((await directory.findUser("a"))?.displayName, "After");
  });
});
