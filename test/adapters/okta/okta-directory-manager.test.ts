import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { OktaDirectory } from "../../../src/adapters/directory/okta/okta-directory.js";
import { usableManager } from "../../../src/domain/manager.js";
import { startOktaDirectoryKit, type OktaDirectoryKit } from "./okta-directory-kit.js";

const IDS = { jane: "00uJaneManaged000001", max: "00uMaxManager0000002", pat: "00uPatSelfMgr0000003" } as const;

/** Okta's base profile `managerId` resolved to a user of the org (UNCONFIRMED what orgs put there). */
describe("Okta directory: the caller's manager from profile.managerId", () => {
  let kit: OktaDirectoryKit;
  let directory: OktaDirectory;
  before(async () => {
    kit = await startOktaDirectoryKit({
      latencyMs: 80,
      users: [
        { id: IDS.jane, login: "jane@acme.example", firstName: "Jane", lastName: "Doe", managerId: IDS.max, manager: "Max Boss" },
        { id: IDS.max, login: "max@acme.example", firstName: "Max", lastName: "Boss", email: "max.boss@acme.example" },
        { login: "lou@acme.example", firstName: "Lou", lastName: "ByLogin", managerId: "max@acme.example" },
        { login: "hr@acme.example", firstName: "Hank", lastName: "HrNumber", managerId: "E-004711", manager: "Someone" },
        { id: IDS.pat, login: "pat@acme.example", firstName: "Pat", lastName: "Self", managerId: IDS.pat },
        { login: "nan@acme.example", firstName: "Nan", lastName: "NoManager", manager: "Only A Name" },
      ],
    });
    directory = kit.directory();
  });
  after(() => kit.close());
  beforeEach(() => kit.fake.reset());

  it("resolves a managerId that is an Okta user id, with the manager's primary email", async () => {
    const jane = await directory.findUser("jane@acme.example");
    assert.deepEqual(jane?.manager, { id: IDS.max, displayName: "Max Boss", email: "max.boss@acme.example" });
    const usable = usableManager(jane);
    assert.ok("manager" in usable && usable.manager.email === "max.boss@acme.example");
  });

  it("reads the manager beside the factors, groups and roles, not after them", async () => {
    await directory.findUser(IDS.jane);
    const manager = kit.fake.requests.find((r) => r.path === `/api/v1/users/${IDS.max}`);
    const factors = kit.fake.requests.find((r) => r.path === `/api/v1/users/${IDS.jane}/factors`);
    assert.ok(manager !== undefined && factors !== undefined);
    // Every answer takes 80 ms: a manager read sent after the factor read's answer would arrive 80 ms or more later.
    assert.ok(Math.abs(manager.receivedAt - factors.receivedAt) < 80, "sent together");
  });

  it("resolves a managerId that is a login", async () => {
    assert.equal((await directory.findUser("lou@acme.example"))?.manager?.id, IDS.max);
  });

  it("leaves the manager out when managerId names no user (an HR number), names the caller, or is absent with only a name", async () => {
    for (const login of ["hr@acme.example", "pat@acme.example", "nan@acme.example"]) {
      const user = await directory.findUser(login);
      assert.ok(user !== null, login);
      assert.equal(user.manager, undefined, login);
      assert.ok("reason" in usableManager(user), login);
    }
  });
});
