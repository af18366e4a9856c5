import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OktaPushProvider } from "../../../src/adapters/push/okta/okta-push-provider.js";
import { ALEX, directoryUser, GINA, JANE, PAT, SAM, startOktaKit, SUE, type OktaKit } from "./okta-kit.js";

describe("Okta describeUser: what a caller has in Okta Verify", () => {
  let kit: OktaKit;
  let okta: OktaPushProvider;
  before(async () => {
    kit = await startOktaKit();
    okta = kit.provider();
  });
  after(() => kit.close());

  const describeOf = (providerUserId: string) => okta.describeUser({ providerUserId, user: directoryUser(providerUserId, "Test User"), tenantId: "acme" });

  it("finds push and passcode for a user with Okta Verify push and TOTP, naming the phone", async () => {
    const info = await describeOf(JANE);
    assert.deepEqual(info, { exists: true, push: true, passcode: true, devices: ["Okta Verify on Jane's iPhone (iOS)", "Okta Verify (passcodes)"], detail: null });
  });

  it("reports push only, and says passcodes are missing", async () => {
    const info = await describeOf(SAM);
    assert.equal(info?.push, true);
    assert.equal(info?.passcode, false);
    assert.deepEqual(info?.devices, ["Okta Verify on Pixel 8 (Android)"]);
    assert.match(info?.detail ?? "", /no Okta Verify or Google Authenticator passcode/i);
  });

  it("says 'not enrolled in Okta Verify' for a user with only SMS and a security question, and never shows the phone number", async () => {
    const info = await describeOf(ALEX);
    assert.equal(info?.exists, true);
    assert.equal(info?.push, false);
    assert.equal(info?.passcode, false);
    assert.deepEqual(info?.devices, []);
    assert.match(info?.detail ?? "", /^Not enrolled in Okta Verify/);
    assert.doesNotMatch(JSON.stringify(info), /4155550456/);
  });

  it("explains a push enrolment that is not active yet", async () => {
    const info = await describeOf(PAT);
    assert.equal(info?.push, false);
    assert.match(info?.detail ?? "", /pending activation, not active/);
  });

  it("accepts a Google Authenticator TOTP as a passcode factor", async () => {
    const info = await describeOf(GINA);
    assert.deepEqual([info?.push, info?.passcode, info?.devices], [false, true, ["Google Authenticator (passcodes)"]]);
  });

  it("refuses a suspended user whatever they have enrolled", async () => {
    const info = await describeOf(SUE);
    assert.deepEqual([info?.exists, info?.push, info?.passcode], [true, false, false]);
    assert.match(info?.detail ?? "", /suspended/);
  });

  it("reports a user Okta does not know, pointing at the tenant's userId rule", async () => {
    const info = await describeOf("nobody@acme.example");
    assert.equal(info?.exists, false);
    assert.match(info?.detail ?? "", /Okta has no user nobody@acme\.example for Test User/);
    assert.match(info?.detail ?? "", /userId rule/);
    assert.match(info?.detail ?? "", /okta-push: \{ provider: okta, userId: upn \}/);
  });

  it("finds users by Okta id, by login in any case, and by login shortname", async () => {
    const jane = kit.fake.user(JANE);
    for (const key of [jane.id, JANE.toUpperCase(), "jane.doe"]) assert.equal((await describeOf(key))?.push, true, key);
  });

  it("percent-encodes the login in the path and caches the user's id briefly", async () => {
    const fresh = kit.provider();
    kit.fake.reset();
    for (let i = 0; i < 2; i += 1) await fresh.describeUser({ providerUserId: SAM, user: directoryUser(SAM), tenantId: "acme" });
    const userReads = kit.fake.requests.filter((r) => r.method === "GET" && !r.path.endsWith("/factors"));
    assert.equal(userReads.length, 1);
    assert.equal(userReads[0]?.path, `/api/v1/users/${encodeURIComponent(SAM)}`);
    assert.equal(kit.fake.requests.filter((r) => r.path.endsWith("/factors")).length, 2, "factors are read fresh each time");
  });

  it("never looks up a login containing '/', which Okta can only fetch by id", async () => {
    kit.fake.reset();
    const info = await describeOf("acme/jane");
    assert.equal(info?.exists, false);
    assert.equal(kit.fake.requests.length, 0);
  });
});
