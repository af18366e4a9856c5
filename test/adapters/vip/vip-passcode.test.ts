import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { isVerityError, type ErrorCode } from "../../../src/domain/errors.js";
import { passcodeRequest, shown, startVipKit, warm, type VipKit } from "./vip-kit.js";

const rejectsWith = (code: ErrorCode, text?: RegExp) => (error: unknown) => {
  assert.ok(isVerityError(error), String(error));
  assert.equal(error.code, code, shown(error));
  if (text !== undefined) assert.match(shown(error), text);
  return true;
};

describe("VIP passcodes (CheckOtp)", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit({ lockAfterFailures: 3 });
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  it("accepts the code the user's token shows, once", async () => {
    const vip = kit.provider();
    const otp = kit.fake.validOtp("otp.only");
    assert.deepEqual(await vip.checkPasscode(passcodeRequest(otp)), { valid: true, detail: "VIP accepted the security code" });
    const again = await vip.checkPasscode(passcodeRequest(otp));
    assert.equal(again.valid, false);
    const [request] = kit.fake.requests;
    assert.equal(request?.operation, "CheckOtpRequest");
    assert.match(request?.path ?? "", /AuthenticationService_1_7$/);
  });

  it("works for a user whose push app also shows codes", async () => {
    assert.equal((await kit.provider().checkPasscode(passcodeRequest(kit.fake.validOtp("jdoe"), "jdoe"))).valid, true);
  });

  it("reports a wrong code as not valid with VIP's reason, never echoing the code", async () => {
    const result = await kit.provider().checkPasscode(passcodeRequest("123456"));
    assert.deepEqual(result, { valid: false, detail: "VIP did not accept the security code (Failed with an invalid OTP)" });
  });

  it("does not ask VIP about something that cannot be a security code", async () => {
    for (const code of ["12345", "12345678901", "12 34 56", "12-34-56", "١٢٣٤٥٦"]) {
      const result = await kit.provider().checkPasscode(passcodeRequest(code));
      assert.equal(result.valid, false, code);
      assert.match(result.detail ?? "", /6 digits/);
    }
    assert.equal(kit.fake.requests.length, 0);
  });

  it("tells the technician to unlock the user in VIP Manager once VIP locks them", async () => {
    const vip = kit.provider();
    for (const code of ["111111", "222222", "333333"]) assert.equal((await vip.checkPasscode(passcodeRequest(code))).valid, false);
    assert.equal(kit.fake.users.get("otp.only")?.status, "LOCKED");
    await assert.rejects(vip.checkPasscode(passcodeRequest(kit.fake.validOtp("otp.only"))), rejectsWith("PROVIDER_ERROR", /locked or disabled.*unlock.*VIP Manager/s));
  });

  it("says a locked credential needs unlocking too (600D)", async () => {
    kit.fake.addUser("token.locked", { credentials: [{ status: "LOCKED" }] });
    await assert.rejects(kit.provider().checkPasscode(passcodeRequest("123456", "token.locked")), rejectsWith("PROVIDER_ERROR", /credentials are locked.*VIP Manager/s));
  });

  it("refuses rather than guesses for a missing user or one without a token", async () => {
    await assert.rejects(kit.provider().checkPasscode(passcodeRequest("123456", "nobody")), rejectsWith("NO_USABLE_FACTOR", /sAMAccountName/));
    await assert.rejects(kit.provider().checkPasscode(passcodeRequest("123456", "sms.only")), rejectsWith("NO_USABLE_FACTOR"));
  });

  it("keeps the code out of errors and logs even when VIP's fault quotes it", async () => {
    const otp = "987654";
    kit.fake.failNext({ kind: "fault", faultString: `cvc-pattern-valid: value '${otp}' rejected` });
    await assert.rejects(kit.provider().checkPasscode(passcodeRequest(otp)), (error: unknown) => {
      assert.ok(isVerityError(error));
      assert.equal(error.code, "PROVIDER_ERROR");
      assert.ok(!shown(error).includes(otp));
      return true;
    });
    kit.fake.failNext({ kind: "status", status: "6006", statusMessage: `credential for ${otp} is odd` });
    await assert.rejects(kit.provider().checkPasscode(passcodeRequest(otp)), (error: unknown) => !shown(error).includes(otp));
    assert.ok(kit.logs.length > 0);
    assert.ok(kit.logs.every((line) => !line.includes(otp)));
  });

  it("does not repeat a check VIP may have received (a code works only once)", async () => {
    const vip = kit.provider({ timeoutMs: 500 });
    await warm(vip);
    kit.fake.failNext({ kind: "hang" });
    await assert.rejects(vip.checkPasscode(passcodeRequest("123456")), rejectsWith("PROVIDER_UNAVAILABLE"));
    assert.equal(kit.fake.requests.filter((r) => r.operation === "CheckOtpRequest").length, 1);
  });
});
