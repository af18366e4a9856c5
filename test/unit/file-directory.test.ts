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

  it("finds users by samAccountName and by any provider id, case-insensitively", async () => {
    const path = write(
      "ids.yaml",
      `users:
  - { id: jdoe, upn: jane.doe@acme.test, samAccountName: JDoe, displayName: Jane, providerIds: { vip: VSMT12345678, duo: jane.d } }
  - { id: u-2, upn: sam@acme.test, samAccountName: sadmin, displayName: Sam }
`,
    );
    const directory = createFileDirectory({ path });
    await directory.load();
    assert.equal((await directory.findUser(" jdoe "))?.upn, "jane.doe@acme.test", "an id that is also the user's own account name");
    assert.equal((await directory.findUser("SADMIN"))?.upn, "sam@acme.test");
    assert.equal((await directory.findUser("vsmt12345678"))?.upn, "jane.doe@acme.test");
    assert.equal((await directory.findUser("Jane.D"))?.upn, "jane.doe@acme.test");
    assert.equal(await directory.findUser("vip"), null, "a provider kind is not an id");
  });

  it("refuses to guess when an account name or provider id names more than one user", async () => {
    const path = write(
      "shared.yaml",
      `users:
  - { id: u-1, upn: john.doe@acme.test, samAccountName: jdoe, displayName: John }
  - { id: u-2, upn: jane.doe@acme.test, displayName: Jane, providerIds: { vip: JDOE } }
`,
    );
    const directory = createFileDirectory({ path });
    await assert.rejects(directory.findUser("JDoe"), (error: unknown) => {
      assert.ok(isVerityError(error) && error.code === "USER_AMBIGUOUS" && error.status === 409);
      assert.match(error.message, /matches 'JDoe' \(john\.doe@acme\.test, jane\.doe@acme\.test\).*Use the UPN or email/);
      return true;
    });
    assert.equal((await directory.findUser("jane.doe@acme.test"))?.id, "u-2");
    assert.equal((await directory.findUser("u-1"))?.samAccountName, "jdoe");
  });

  it("refuses a file where an account name or provider id is another user's id, UPN or mail", async () => {
    const path = write(
      "clash.yaml",
      `users:
  - { id: jdoe, upn: john.doe@acme.test, displayName: John }
  - { id: u-2, upn: jane.doe@acme.test, displayName: Jane, samAccountName: JDOE }
  - { id: u-3, upn: ann@acme.test, displayName: Ann, providerIds: { okta: john.doe@acme.test } }
`,
    );
    await assert.rejects(createFileDirectory({ path }).load(), (error: unknown) => {
      assert.ok(isVerityError(error) && error.code === "DIRECTORY_INVALID");
      assert.deepEqual(error.details, [
        { path: "users[1]", message: "jdoe (an account name or provider id) is the id, upn or mail of users[0]" },
        { path: "users[2]", message: "john.doe@acme.test (an account name or provider id) is the id, upn or mail of users[0]" },
      ]);
      return true;
    });
  });

  it("gives every user the YAML file's organisation, and null without one or from CSV", async () => {
    const named = createFileDirectory({ path: write("org.yaml", "organisation: Acme Widgets Ltd\nusers:\n  - { id: a, upn: a@acme.test, displayName: A }\n") });
    await named.load();
    assert.equal((await named.findUser("a"))?.organisation, "Acme Widgets Ltd");
    const unnamed = createFileDirectory({ path: write("no-org.yaml", "users:\n  - { id: a, upn: a@acme.test, displayName: A }\n") });
    await unnamed.load();
    assert.equal((await unnamed.findUser("a"))?.organisation, null);
    const csv = createFileDirectory({ path: write("org.csv", "id,upn,displayName\na,a@acme.test,A\n") });
    await csv.load();
    assert.equal((await csv.findUser("a"))?.organisation, null);
    await assert.rejects(
      createFileDirectory({ path: write("bad-org.yaml", "organisation: ''\nusers: []\n") }).load(),
      /`organisation:` must be a name of 1 to 200 characters/,
    );
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
