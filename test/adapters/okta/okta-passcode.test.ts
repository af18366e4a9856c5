import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { OktaPushProvider } from "../../../src/adapters/push/okta/okta-push-provider.js";
import type { PasscodeRequest } from "../../../src/domain/ports.js";
import { directoryUser, GINA, GINA_PASSCODE, JANE, JANE_PASSCODE, SAM, shown, startOktaKit, type OktaKit } from "./okta-kit.js";

const request = (providerUserId: string, passcode: string): PasscodeRequest => ({
  verificationId: "ver_okta_pass",
  tenantId: "acme",
  user: directoryUser(providerUserId),
  providerUserId,
  passcode,
});

describe("Okta passcodes (token:software:totp, checked by Okta)", () => {
  let kit: OktaKit;
  let okta: OktaPushProvider;
  let check: (r: PasscodeRequest) => Promise<{ valid: boolean; detail?: string }>;
  before(async () => {
    kit = await startOktaKit();
    okta = kit.provider();
    check = (r) => okta.checkPasscode(r);
  });
  after(() => kit.close());
  beforeEach(() => kit.fake.reset());

  it("accepts the code the caller's Okta Verify shows, posting it as passCode to the TOTP factor", async () => {
    assert.deepEqual(await check(request(JANE, JANE_PASSCODE)), { valid: true, detail: "Okta accepted the passcode." });
    const jane = kit.fake.user(JANE);
    const totp = jane.factors.find((f) => f.factorType === "token:software:totp");
    const verify = kit.fake.requests.find((r) => r.method === "POST");
    assert.equal(verify?.path, `/api/v1/users/${jane.id}/factors/${totp?.id}/verify`);
    assert.equal(verify?.rawBody, JSON.stringify({ passCode: JANE_PASSCODE }));
    assert.equal(verify?.headers["content-type"], "application/json");
  });

  it("reports a wrong code (403 E0000068) as invalid, with what to ask the caller", async () => {
    const answer = await check(request(JANE, "000000"));
    assert.equal(answer.valid, false);
    assert.match(answer.detail ?? "", /does not match.*code their app shows now/);
  });

  it("reports a code used twice as invalid, asking for the next one", async () => {
    assert.equal((await check(request(GINA, GINA_PASSCODE))).valid, true);
    const again = await check(request(GINA, GINA_PASSCODE));
    assert.equal(again.valid, false);
    assert.match(again.detail ?? "", /already accepted that passcode/);
  });

  it("uses a Google Authenticator enrolment when there is no Okta Verify TOTP", async () => {
    const gina = kit.fake.user(GINA);
    const [totp] = gina.factors;
    assert.ok(totp !== undefined);
    totp.passCode = "864200";
    assert.equal((await check(request(GINA, "864200"))).valid, true);
    assert.equal(kit.fake.requests.find((r) => r.method === "POST")?.path, `/api/v1/users/${gina.id}/factors/${gina.factors[0]?.id}/verify`);
  });

  it("refuses users without a passcode enrolment, and unknown users, before sending anything", async () => {
    await assert.rejects(check(request(SAM, "123456")), (e) => /NO_USABLE_FACTOR .*no active Okta Verify or Google Authenticator passcode/.test(shown(e)));
    await assert.rejects(check(request("ghost@acme.example", "123456")), (e) => /NO_USABLE_FACTOR .*userId rule/.test(shown(e)));
    assert.equal(kit.fake.requests.filter((r) => r.method === "POST").length, 0);
  });

  it("refuses input that is not a passcode without asking Okta", async () => {
    await assert.rejects(check(request(JANE, "12ab56")), (e) => /VALIDATION_FAILED/.test(shown(e)));
    assert.equal(kit.fake.requests.filter((r) => r.method === "POST").length, 0);
  });

  it("never logs or repeats the passcode, and does not resend one whose check may have arrived", async () => {
    kit.fake.failNext("reset", 1, "verify");
    await assert.rejects(check(request(JANE, "975310")), (e) => {
      assert.match(shown(e), /PROVIDER_UNAVAILABLE .*may have used up that code/);
      assert.doesNotMatch(shown(e), /975310/);
      return true;
    });
    assert.equal(kit.fake.requests.filter((r) => r.method === "POST").length, 1);
    assert.ok(kit.logs.every((line) => !line.includes("975310") && !line.includes(JANE_PASSCODE)));
  });
});
