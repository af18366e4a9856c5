import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { PasscodeRequest } from "../../../src/domain/ports.js";
import { directoryUser, rejectsWith, startDuoKit, type DuoKit } from "./duo-kit.js";

const request = (providerUserId: string, passcode: string): PasscodeRequest => ({
  verificationId: "ver_p",
  tenantId: "acme",
  user: directoryUser(),
  providerUserId,
  passcode,
});

describe("Duo passcodes", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const check = (user: string, passcode: string) => kit.provider().checkPasscode(request(user, passcode));

  it("accepts a right passcode, once", async () => {
    assert.deepEqual(await check("jdoe", "123456"), { valid: true, detail: "Duo accepted the passcode" });
    const again = await check("jdoe", "123456");
    assert.equal(again.valid, false);
    assert.match(again.detail ?? "", /Incorrect passcode/);
    const [first] = kit.fake.requests;
    assert.deepEqual(Object.fromEntries(first?.params ?? []), { factor: "passcode", passcode: "123456", username: "jdoe" });
  });

  it("refuses a wrong passcode with Duo's reason", async () => {
    const result = await check("jdoe", "000000");
    assert.deepEqual(result, { valid: false, detail: "Duo refused the passcode: Incorrect passcode. Please try again." });
  });

  it("checks a hardware token's passcode", async () => {
    assert.equal((await check("tokenonly", "777111")).valid, true);
  });

  it("never counts a bypassed user's allow as a valid passcode", async () => {
    const result = await check("bypassed", "999999");
    assert.equal(result.valid, false);
    assert.match(result.detail ?? "", /bypass/);
  });

  it("says when Duo has locked the user out", async () => {
    assert.deepEqual(await check("locked", "123456"), { valid: false, detail: "Duo has locked this user out after too many failures" });
  });

  it("does not repeat a passcode check that may have reached Duo (it could spend the code)", async () => {
    kit.fake.failNext("500", { path: "/auth/v2/auth" });
    await rejectsWith(check("jdoe", "654321"), "PROVIDER_UNAVAILABLE");
    assert.equal(kit.fake.requests.length, 1);
    assert.equal((await check("jdoe", "654321")).valid, false, "the fake did spend it");
  });

  it("keeps passcodes out of the logs", () => {
    const text = kit.logs.join("\n");
    assert.ok(kit.logs.length > 0);
    for (const code of ["123456", "000000", "777111", "654321"]) assert.ok(!text.includes(code), `${code} was logged`);
  });
});
