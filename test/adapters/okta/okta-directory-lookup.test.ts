import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { OktaDirectory } from "../../../src/adapters/directory/okta/okta-directory.js";
import { codeOf, IDS, startOktaDirectoryKit, type OktaDirectoryKit } from "./okta-directory-kit.js";

describe("Okta directory: finding callers and mapping what Okta knows", () => {
  let kit: OktaDirectoryKit;
  let directory: OktaDirectory;
  before(async () => {
    kit = await startOktaDirectoryKit();
    directory = kit.directory({ organisation: "Acme Ltd" });
  });
  after(() => kit.close());
  beforeEach(() => kit.fake.reset());

  it("finds a caller by login and maps phones, alternate emails, groups and provider ids", async () => {
    const jane = await directory.findUser("jane.doe@acme.example");
    assert.ok(jane !== null);
    assert.equal(jane.id, IDS.jane);
    assert.equal(jane.upn, "jane.doe@acme.example");
    assert.equal(jane.mail, "jane.doe@acme.example");
    assert.equal(jane.displayName, "Jane Doe");
    assert.equal(jane.organisation, "Acme Ltd");
    assert.deepEqual(
      jane.phones.map((p) => [p.type, p.phone.e164]),
      [
        ["mobile", "+14155550123"],
        ["office", "+14155550199"],
      ],
    );
    assert.deepEqual(jane.emails, ["jane.private@mail.example"]);
    assert.deepEqual(jane.groups, ["Everyone", "Finance", "VPN Users"]);
    assert.equal(jane.privileged, false);
    assert.deepEqual(jane.providerIds, { okta: IDS.jane });
    assert.deepEqual(jane.unusable, [{ type: "question", reason: "Verity cannot use an Okta security question factor." }]);
  });

  it("finds the same caller by Okta id, by login shortname and case-insensitively", async () => {
    for (const query of [IDS.jane, "jane.doe", "  JANE.DOE@ACME.EXAMPLE "]) {
      assert.equal((await directory.findUser(query))?.id, IDS.jane, query);
    }
  });

  it("reads factors, groups and roles together once the user is found", async () => {
    const slow = await startOktaDirectoryKit({ latencyMs: 150 });
    try {
      const started = Date.now();
      assert.ok((await slow.directory().findUser(IDS.jane)) !== null);
      const took = Date.now() - started;
      // One lookup, then three reads side by side: two round trips, not four.
      assert.ok(took < 520, `findUser took ${took} ms`);
      const reads = slow.fake.requests.filter((r) => /\/(factors|groups|roles)$/.test(r.path));
      assert.equal(reads.length, 3);
      const spread = Math.max(...reads.map((r) => r.receivedAt)) - Math.min(...reads.map((r) => r.receivedAt));
      assert.ok(spread < 100, `the three reads arrived ${spread} ms apart`);
    } finally {
      await slow.close();
    }
  });

  it("finds a caller by primary email when it is not their login", async () => {
    const ada = await directory.findUser("ada@acme.example");
    assert.equal(ada?.id, IDS.ada);
    const search = kit.fake.requests.find((r) => r.path === "/api/v1/users");
    assert.equal(new URLSearchParams(search?.query).get("search"), 'profile.email eq "ada@acme.example"');
  });

  it("refuses a query that is one user's login and another's email rather than guessing", async () => {
    const refused = await codeOf(directory.findUser("pat@acme.example"));
    assert.equal(refused.code, "USER_AMBIGUOUS");
    assert.match(refused.message, /More than one Okta user answers to pat@acme\.example/);
    assert.equal((await directory.findUser("pat.other@acme.example"))?.id, IDS.patOther);
  });

  it("returns null for someone Okta does not know, and for a query it cannot look up", async () => {
    assert.equal(await directory.findUser("ghost@acme.example"), null);
    assert.equal(await directory.findUser("no-such-login"), null);
    assert.equal(await directory.findUser("../groups"), null);
    assert.equal(await directory.findUser("   "), null);
  });

  it("never offers the account's own mailbox as an email factor, and never a masked number", async () => {
    const ada = await directory.findUser(IDS.ada);
    assert.deepEqual(ada?.emails, []);
    assert.deepEqual(ada?.phones, []);
    assert.deepEqual(
      ada?.unusable.map((u) => u.type),
      ["email", "mobile"],
    );
    assert.match(ada?.unusable[0]?.reason ?? "", /account's own mailbox/);
    assert.match(ada?.unusable[1]?.reason ?? "", /masked/);
    assert.ok(!JSON.stringify(ada?.unusable).includes("0456"), "a masked number's digits are not repeated");
  });

  it("takes privilege from admin role assignments and names the roles as a risk signal", async () => {
    const ada = await directory.findUser(IDS.ada);
    assert.equal(ada?.privileged, true);
    const signals = await directory.riskSignals(ada);
    assert.deepEqual(signals, [{ code: "privileged", detail: "Holds Okta admin role(s): Super Administrator, Help Desk Administrator." }]);
  });

  it("reuses what findUser read for riskSignals, and reads again for a user it has not seen lately", async () => {
    const jane = await directory.findUser(IDS.jane);
    const before = kit.fake.requests.length;
    assert.deepEqual(await directory.riskSignals(jane!), []);
    assert.equal(kit.fake.requests.length, before, "no new reads");
    const fresh = kit.directory();
    assert.deepEqual(await fresh.riskSignals(jane!), []);
    assert.deepEqual(kit.fake.requests.slice(before).map((r) => r.path).sort(), [`/api/v1/users/${IDS.jane}`, `/api/v1/users/${IDS.jane}/factors`, `/api/v1/users/${IDS.jane}/roles`]);
  });

  it("returns users who are not active, with their status as a risk signal and inactive factors unusable", async () => {
    const lou = await directory.findUser("lou.locked@acme.example");
    assert.ok(lou !== null);
    assert.deepEqual(lou.phones, []);
    assert.deepEqual(lou.unusable, [{ type: "sms", reason: "The Okta SMS factor is pending activation, not active." }]);
    assert.deepEqual(await directory.riskSignals(lou), [{ code: "account_status", detail: "The Okta account is locked out (too many failed sign-ins)." }]);
    const sue = await directory.findUser("sue.suspended@acme.example");
    assert.equal(sue?.phones[0]?.phone.e164, "+447700900123");
    assert.deepEqual(await directory.riskSignals(sue), [{ code: "account_disabled", detail: "The Okta account is suspended (sign-in is blocked)." }]);
  });

  it("flags a factor enrolled and a password changed within the window", async () => {
    const rita = await directory.findUser("rita.recent@acme.example");
    const codes = (await directory.riskSignals(rita!)).map((s) => s.code);
    assert.deepEqual(codes, ["recent_security_info_change", "recent_password_change"]);
    const quiet = kit.directory({ recentChangeDays: 0 });
    assert.deepEqual(await quiet.riskSignals((await quiet.findUser("rita.recent@acme.example"))!), []);
  });
});
