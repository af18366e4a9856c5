import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { PasscodeRequest } from "../../../src/domain/ports.js";
import { failure, PASSCODE, startHarness, userOf, type Harness } from "./entra-mfa-fixtures.js";

const passcode = (upn: string, code: string): PasscodeRequest => ({
  verificationId: "0b7c2f5e-0000-4000-8000-000000000002",
  tenantId: "contoso",
  user: userOf(upn),
  providerUserId: upn,
  passcode: code,
});

describe("Entra MFA passcodes (OTP mode)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("accepts the code the Authenticator app shows, through a PhoneAppOTP session", async () => {
    const provider = h.provider();
    const result = await provider.checkPasscode?.(passcode("jane.doe@contoso.example", PASSCODE));
    assert.equal(result?.valid, true);
    const [begin, end] = h.fake.requests.filter((r) => r.path.includes("connector"));
    assert.equal(begin?.path, "/passcode-connector/BeginTwoWayAuthentication");
    assert.equal(begin?.fields?.AuthenticationMethodId, "PhoneAppOTP");
    assert.equal(begin?.fields?.SyncCall, "false");
    assert.equal(end?.path, "/passcode-connector/EndTwoWayAuthentication");
    assert.equal(end?.fields?.AdditionalAuthData, PASSCODE);
    assert.equal(end?.fields?.SessionId, h.fake.sessions.at(-1)?.id);
    assert.equal(h.fake.count("/connector/"), 0, "passcodes never reach the push connector");
  });

  it("rejects a wrong code, and the same code used twice", async () => {
    const provider = h.provider();
    const wrong = await provider.checkPasscode?.(passcode("jane.doe@contoso.example", "654321"));
    assert.deepEqual(wrong, { valid: false, detail: "Microsoft did not accept the code (OathCodeIncorrect)." });
    const again = await provider.checkPasscode?.(passcode("jane.doe@contoso.example", PASSCODE));
    assert.equal(again?.valid, false);
    assert.match(again?.detail ?? "", /OathCodeDuplicate/);
  });

  it("never repeats a passcode check whose answer was lost", async () => {
    const provider = h.provider({ timeoutMs: 300 });
    h.fake.failNext("/passcode-connector/EndTwoWayAuthentication", { hang: true });
    assert.equal((await failure(provider.checkPasscode!(passcode("jane.doe@contoso.example", "111111")))).code, "PROVIDER_UNAVAILABLE");
    assert.equal(h.fake.count("/passcode-connector/EndTwoWayAuthentication"), 1);
  });

  it("refuses malformed codes and users without an OTP method", async () => {
    const provider = h.provider();
    assert.equal((await failure(provider.checkPasscode!(passcode("jane.doe@contoso.example", "12ab56")))).code, "VALIDATION_FAILED");
    const none = await failure(provider.checkPasscode!(passcode("smsonly@contoso.example", "123456")));
    assert.equal(none.code, "NO_USABLE_FACTOR");
  });

  it("uses the push connector for passcodes too when no passcode connector is set and the connector is not Microsoft's global one", async () => {
    const provider = h.provider({ passcodeConnectorUrl: undefined });
    await provider.checkPasscode?.(passcode("jane.doe@contoso.example", "000000"));
    assert.equal(h.fake.count("/connector/BeginTwoWayAuthentication"), 1);
  });
});

describe("Entra MFA describeUser", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("says the connector decides when no directory can list the user's Authenticator", async () => {
    const info = await h.provider().describeUser?.({ providerUserId: "jane.doe@contoso.example", user: userOf("jane.doe@contoso.example"), tenantId: "contoso" });
    assert.equal(info?.push, true);
    assert.equal(info?.passcode, true);
    assert.match(info?.detail ?? "", /cannot list a user's methods/);
    assert.equal(h.fake.requests.length, 0);
  });

  it("answers from the directory's Authenticator registrations when main.ts wires them", async () => {
    const listed = h.provider({}, { authenticatorMethods: async () => [{ displayName: "Jane's iPhone" }] });
    const info = await listed.describeUser?.({ providerUserId: "jane.doe@contoso.example", user: userOf("jane.doe@contoso.example"), tenantId: "contoso" });
    assert.deepEqual(info, { exists: true, push: true, passcode: true, devices: ["Jane's iPhone"], detail: null });
    const empty = h.provider({}, { authenticatorMethods: async () => [] });
    const none = await empty.describeUser?.({ providerUserId: "sam@contoso.example", user: userOf("sam@contoso.example"), tenantId: "contoso" });
    assert.equal(none?.push, false);
    assert.match(none?.detail ?? "", /no Microsoft Authenticator registered/);
    const elsewhere = h.provider({}, { authenticatorMethods: async () => undefined });
    const unknown = await elsewhere.describeUser?.({ providerUserId: "sam@contoso.example", user: userOf("sam@contoso.example"), tenantId: "contoso" });
    assert.equal(unknown?.push, true, "a user no Entra directory holds is left to the connector");
  });

  it("falls back to the connector deciding when the directory read fails", async () => {
    const broken = h.provider({}, {
      authenticatorMethods: async () => {
        throw Object.assign(new Error("Graph 403"), { code: "UPSTREAM_AUTH_FAILED" });
      },
    });
    const info = await broken.describeUser?.({ providerUserId: "sam@contoso.example", user: userOf("sam@contoso.example"), tenantId: "contoso" });
    assert.equal(info?.push, true);
    assert.ok(h.logs.some((l) => l.includes("could not list Authenticator registrations")));
  });
});
