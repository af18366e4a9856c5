import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { maskPhone } from "../../../src/domain/masking.js";
import { CONTOSO, failure, findSettled, NARROW_APP_ID, REPORTS_READER, SEEDED_NUMBERS, startHarness, USERS, type Harness } from "./entra-fixtures.js";

const USERS_QUERY = /^\/graph\/v1\.0\/users$/;

describe("Entra directory: user lookup and mapping", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  const filterSent = () => h.fake.requests.find((r) => USERS_QUERY.test(r.path))?.query;

  it("finds a user by UPN with one filtered call asking for the fields it needs", async () => {
    const user = await findSettled(h.directory(), "jane.doe@contoso.example");
    assert.equal(user?.displayName, "Jane Doe");
    assert.equal(h.fake.count(USERS_QUERY), 1);
    assert.deepEqual(filterSent(), {
      $filter: "userPrincipalName eq 'jane.doe@contoso.example' or mail eq 'jane.doe@contoso.example'",
      $select: "id,displayName,userPrincipalName,mail,onPremisesSamAccountName,accountEnabled,proxyAddresses",
    });
  });

  it("finds a user by mail when the UPN differs", async () => {
    const user = await findSettled(h.directory(), "Alex.Kim@contoso.example");
    assert.equal(user?.upn, "a.kim@contoso.onmicrosoft.example");
    assert.equal(user?.id, `${CONTOSO}:${USERS.alex}`);
  });

  it("finds a guest by its #EXT# UPN (the # percent-encoded)", async () => {
    const upn = "lee_fabrikam.example#EXT#@contoso.onmicrosoft.example";
    const user = await findSettled(h.directory(), upn);
    assert.equal(user?.upn, upn);
    assert.equal(filterSent()?.$filter, `userPrincipalName eq '${upn}' or mail eq '${upn}'`);
  });

  it("doubles an apostrophe in the filter literal", async () => {
    const user = await findSettled(h.directory(), "o'brien@contoso.example");
    assert.equal(user?.displayName, "Pat O'Brien");
    assert.equal(filterSent()?.$filter, "userPrincipalName eq 'o''brien@contoso.example' or mail eq 'o''brien@contoso.example'");
  });

  it("finds a user again by the composite id it returned", async () => {
    const directory = h.directory();
    const first = await findSettled(directory, "sam.admin@contoso.example");
    assert.ok(first !== null);
    h.fake.resetStats();
    const again = await findSettled(directory, first.id.toUpperCase());
    assert.equal(again?.upn, "sam.admin@contoso.example");
    assert.equal(h.fake.count(`/graph/v1.0/users/${USERS.sam}`), 6, "the user read plus its five per-user reads (four lists and the manager)");
    assert.equal(h.fake.count(USERS_QUERY), 0);
  });

  it("returns null for a user Graph does not have, by name or by id", async () => {
    const directory = h.directory();
    assert.equal(await findSettled(directory, "nobody@contoso.example"), null);
    assert.equal(await findSettled(directory, `${CONTOSO}:99999999-9999-4999-8999-999999999999`), null);
  });

  it("maps mobile, alternate mobile and office phones to E.164, dropping the extension", async () => {
    const user = await findSettled(h.directory(), "jane.doe@contoso.example");
    assert.ok(user !== null);
    assert.deepEqual(
      user.phones.map((p) => [p.type, p.phone.e164]),
      [
        ["mobile", "+14255550101"],
        ["alternateMobile", "+447700900123"],
        ["office", "+14255550199"],
      ],
    );
    assert.deepEqual(user.emails, ["jane.private@example.net"]);
    assert.deepEqual(user.unusable, []);
    assert.deepEqual(user.providerIds, { entra: "jane.doe@contoso.example" });
    assert.equal(user.privileged, false);
    assert.equal(maskPhone(user.phones[0]!.phone).endsWith("0101"), true);
  });

  it("lists a number that cannot be normalised as unusable, without the number", async () => {
    const user = await findSettled(h.directory(), "alex.kim@contoso.example");
    assert.deepEqual(user?.phones, []);
    assert.equal(user?.unusable.length, 1);
    const [factor] = user?.unusable ?? [];
    assert.equal(factor?.type, "alternateMobile");
    assert.match(factor?.reason ?? "", /alternate mobile number registered in Entra cannot be used/);
    for (const digits of SEEDED_NUMBERS) assert.ok(!factor?.reason.replace(/\D/g, "").includes(digits.slice(-6)), "no run of the number");
  });

  it("names directory roles as groups and marks privileged roles", async () => {
    const user = await findSettled(h.directory(), "sam.admin@contoso.example");
    assert.deepEqual(user?.groups, ["Global Administrator", "Reports Reader"]);
    assert.equal(user?.privileged, true);
    const reader = await findSettled(h.directory({ privilegedRoleTemplateIds: [REPORTS_READER.toUpperCase()] }), "jane.doe@contoso.example");
    assert.equal(reader?.privileged, false);
  });

  it("starts the method, role and audit reads at the same time", async () => {
    h.fake.setLatency(60);
    try {
      const directory = h.directory({ tenantId: CONTOSO });
      await findSettled(directory, "jane.doe@contoso.example");
      h.fake.resetStats(); // the tenant's organisation name is now cached and is not read again
      await findSettled(directory, "jane.doe@contoso.example");
      assert.equal(h.fake.maxInFlight(), 6, "phone, email and Authenticator methods, roles, audits and the manager in parallel");
      const base = `/graph/v1.0/users/${USERS.jane}`;
      for (const path of ["/authentication/phoneMethods", "/authentication/emailMethods", "/authentication/microsoftAuthenticatorMethods", "/transitiveMemberOf/microsoft.graph.directoryRole"]) {
        assert.equal(h.fake.count(`${base}${path}`), 1, path);
      }
      assert.equal(h.fake.count("/graph/v1.0/auditLogs/directoryAudits"), 1);
      assert.equal(h.fake.count(new RegExp(`^${base}$`)), 1, "the manager, expanded on the user");
    } finally {
      h.fake.setLatency(0);
    }
  });

  it("keeps the Microsoft Authenticator registrations for the push integration", async () => {
    const directory = h.directory();
    const user = await findSettled(directory, "jane.doe@contoso.example");
    assert.ok(user !== null);
    h.fake.resetStats();
    const methods = await directory.authenticatorMethods(user);
    assert.deepEqual(
      methods.map((m) => [m.displayName, m.deviceTag, m.phoneAppVersion]),
      [["Jane's iPhone", "SoftwareTokenActivated", "6.8.1"]],
    );
    assert.equal(h.fake.requests.length, 0, "served from the read findUser started");
    h.clock.advance(61_000);
    assert.equal((await directory.authenticatorMethods(user)).length, 1);
    assert.equal(h.fake.count(`/graph/v1.0/users/${USERS.jane}/authentication/microsoftAuthenticatorMethods`), 1);
  });

  it("fails the lookup when a method read is refused, naming the permission", async () => {
    const refused = await failure(h.directory({ clientId: NARROW_APP_ID, tenantId: CONTOSO }).findUser("jane.doe@contoso.example"));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /UserAuthenticationMethod\.Read\.All|RoleManagement\.Read\.Directory|UserAuthMethod-/);
    assert.match(refused.message, new RegExp(`/${CONTOSO}/adminconsent\\?client_id=${NARROW_APP_ID}`));
  });
});
