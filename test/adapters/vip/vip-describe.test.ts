import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { userInfoFrom } from "../../../src/adapters/push/vip/vip-describe.js";
import type { UserInfoResponse } from "../../../src/adapters/push/vip/vip-responses.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { startVipKit, USER, type VipKit } from "./vip-kit.js";

describe("VIP describeUser (GetUserInfo)", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const describeUser = (providerUserId: string) => kit.provider().describeUser({ providerUserId, user: USER, tenantId: "acme" });

  it("finds a push-capable user and names the phone without its full credential id", async () => {
    const info = await describeUser("jdoe");
    const credentialId = kit.fake.users.get("jdoe")?.credentials[0]?.id ?? "";
    assert.deepEqual({ ...info, devices: [] }, { exists: true, push: true, passcode: true, devices: [], detail: null });
    assert.deepEqual(info.devices, [`Jane's iPhone (VIP Access with push, iPhone, id ending ${credentialId.slice(-4)})`]);
    assert.ok(!info.devices.join().includes(credentialId));
    const request = kit.fake.requests[0];
    assert.equal(request?.operation, "GetUserInfoRequest");
    assert.match(request?.body ?? "", /<includePushAttributes>true<\/includePushAttributes>/);
  });

  it("says a desktop token takes codes but not pushes", async () => {
    const info = await describeUser("otp.only");
    assert.deepEqual([info.exists, info.push, info.passcode], [true, false, true]);
    assert.deepEqual(info.devices, ["VIP Access for Mac (VIP credential, id ending 4978)"]);
    assert.match(info.detail ?? "", /no credential that takes pushes/);
  });

  it("never shows the phone number behind an SMS credential, and offers neither method", async () => {
    const info = await describeUser("sms.only");
    assert.deepEqual([info.push, info.passcode, info.devices], [false, false, ["text-message credential"]]);
    assert.ok(!JSON.stringify(info).includes("447700900123"));
  });

  it("explains a user with no credentials, a locked user and a missing one", async () => {
    assert.match((await describeUser("no.credentials")).detail ?? "", /has no credentials.*Enrol/);
    const locked = await describeUser("locked.user");
    assert.deepEqual([locked.exists, locked.push, locked.passcode], [true, false, false]);
    assert.match(locked.detail ?? "", /locked.*VIP Manager/);
    const missing = await describeUser("jane.doe@acme.example");
    assert.deepEqual([missing.exists, missing.push, missing.passcode, missing.devices], [false, false, false, []]);
    assert.match(missing.detail ?? "", /no user "jane\.doe@acme\.example".*sAMAccountName/);
  });

  it("throws on failures rather than claiming the user has nothing", async () => {
    kit.fake.failNext({ kind: "status", status: "6005" }, { count: 1 });
    await assert.rejects(describeUser("jdoe"), (e: unknown) => isVerityError(e) && e.code === "PROVIDER_UNAVAILABLE");
    kit.fake.failNext({ kind: "fault" });
    await assert.rejects(describeUser("jdoe"), (e: unknown) => isVerityError(e) && e.code === "PROVIDER_ERROR");
  });

  it("validates the user id before asking VIP", async () => {
    for (const id of ["", " ", "x".repeat(129), "bad\u0000id"]) {
      await assert.rejects(describeUser(id), (e: unknown) => isVerityError(e) && e.code === "VALIDATION_FAILED", JSON.stringify(id));
    }
    assert.equal(kit.fake.requests.length, 0);
    assert.equal((await describeUser("x".repeat(128))).exists, false);
  });
});

describe("VIP user info mapping", () => {
  const response = (bindings: UserInfoResponse["credentialBindingDetail"], userStatus = "ACTIVE"): UserInfoResponse => ({
    requestId: "abcd",
    status: "0000",
    statusMessage: "Success",
    detail: undefined,
    detailMessage: undefined,
    userId: "jdoe",
    userStatus,
    credentialBindingDetail: bindings,
  });
  const binding = (over: Partial<UserInfoResponse["credentialBindingDetail"][number]>) => ({
    credentialId: "SYMC21519954",
    credentialType: "STANDARD_OTP",
    credentialStatus: "ENABLED",
    bindingDetail: { bindStatus: "ENABLED", friendlyName: undefined },
    pushAttributes: [
      { Key: "PUSH_PLATFORM", Value: "ANDROID" },
      { Key: "PUSH_ENABLED", Value: "true" },
    ],
    ...over,
  });

  it("counts only enabled credentials and bindings", () => {
    assert.equal(userInfoFrom("jdoe", response([binding({ credentialStatus: "DISABLED" })])).push, false);
    assert.equal(userInfoFrom("jdoe", response([binding({ bindingDetail: { bindStatus: "DISABLED", friendlyName: "old phone" } })])).push, false);
    assert.deepEqual(userInfoFrom("jdoe", response([binding({ credentialStatus: "DISABLED" })])).devices, ["VIP Access with push, Android, id ending 9954, disabled"]);
  });

  it("needs PUSH_ENABLED=true for push", () => {
    const off = userInfoFrom("jdoe", response([binding({ pushAttributes: [{ Key: "PUSH_ENABLED", Value: "false" }] })]));
    assert.deepEqual([off.push, off.passcode], [false, true]);
    assert.equal(userInfoFrom("jdoe", response([binding({ pushAttributes: [] })])).push, false);
  });

  it("reports a disabled user as unable to do either", () => {
    const info = userInfoFrom("jdoe", response([binding({})], "DISABLED"));
    assert.deepEqual([info.exists, info.push, info.passcode], [true, false, false]);
    assert.match(info.detail ?? "", /disabled/);
  });

  it("cleans friendly names before showing them", () => {
    const info = userInfoFrom("jdoe", response([binding({ bindingDetail: { bindStatus: "ENABLED", friendlyName: "Jane\u0007's\nphone" } })]));
    assert.deepEqual(info.devices, ["Jane 's phone (VIP Access with push, Android, id ending 9954)"]);
  });
});
