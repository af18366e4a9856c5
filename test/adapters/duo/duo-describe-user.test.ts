import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { directoryUser, startDuoKit, type DuoKit } from "./duo-kit.js";

describe("Duo describeUser (preauth)", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const describeUser = (providerUserId: string, config: Record<string, unknown> = {}) =>
    kit.provider(config).describeUser({ providerUserId, user: directoryUser(), tenantId: "acme" });

  it("auth: an enrolled user with Duo Mobile can take pushes and give passcodes", async () => {
    const info = await describeUser("jdoe");
    assert.deepEqual(info, { exists: true, push: true, passcode: true, devices: ["iOS (XXX-XXX-0100): push and passcode"], detail: null });
    const [request] = kit.fake.requests;
    assert.equal(request?.path, "/auth/v2/preauth");
    assert.deepEqual(request?.params, [["username", "jdoe"]]);
  });

  it("does not announce Verified Push when only looking (that txid would be wasted)", async () => {
    await describeUser("vp", { verifiedPush: true });
    assert.deepEqual(kit.fake.requests[0]?.params, [["username", "vp"]]);
  });

  it("allow (bypass): not usable, because a bypassed user proves nothing", async () => {
    const info = await describeUser("bypassed");
    assert.equal(info.exists, true);
    assert.equal(info.push, false);
    assert.equal(info.passcode, false);
    assert.match(info.detail ?? "", /bypass/);
    assert.match(info.detail ?? "", /prove nothing/);
  });

  it("deny: not usable, with Duo's reason", async () => {
    const info = await describeUser("locked");
    assert.deepEqual({ push: info.push, passcode: info.passcode }, { push: false, passcode: false });
    assert.match(info.detail ?? "", /Duo denies this user \("Your account is disabled\."\)/);
  });

  it("enroll: not enrolled, and never hands the enrollment link to the technician", async () => {
    for (const who of ["newhire", "nobody-duo-has-seen"]) {
      const info = await describeUser(who);
      assert.deepEqual({ exists: info.exists, push: info.push, passcode: info.passcode, devices: info.devices }, { exists: false, push: false, passcode: false, devices: [] });
      assert.match(info.detail ?? "", /not enrolled/);
      assert.doesNotMatch(JSON.stringify(info), /https?:|portal|akey/);
    }
  });

  it("a hardware token gives passcodes but takes no pushes", async () => {
    const info = await describeUser("tokenonly");
    assert.deepEqual({ push: info.push, passcode: info.passcode }, { push: false, passcode: true });
    assert.deepEqual(info.devices, ["Hardware token 9876: passcode"]);
    assert.match(info.detail ?? "", /takes pushes/);
  });

  it("names devices safely: an unmasked number from Duo is masked to its last four digits", async () => {
    kit.fake.addUser({
      username: "android",
      devices: [
        { device: "DP1", type: "phone", display_name: "Android (+1 555-123-4567)", capabilities: ["push"] },
        { device: "DP2", type: "phone", number: "+44 7700 900123", capabilities: ["phone"] },
      ],
    });
    const info = await describeUser("android");
    assert.deepEqual(info.devices, ["Android (+X XXX-XXX-4567): push", "phone +XX XXXX XX0123: no push or passcode"]);
    assert.equal(info.passcode, false);
    assert.match(info.detail ?? "", /gives passcodes/);
  });
});
