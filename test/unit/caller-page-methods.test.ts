import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assuranceCeiling, assuranceOf } from "../../src/domain/assurance.js";
import { CALLER_PAGE_KINDS, isCallerPageKind, methodLabel, parseMethod, usesChannel } from "../../src/domain/methods.js";
import { DEFAULT_MESSAGES, linkWording } from "../../src/services/caller-wording.js";

describe("caller-page methods (issue 12)", () => {
  it("parses the sign-in, Face Check and manager-approval ids, each with the channel that carries its link", () => {
    assert.deepEqual(parseMethod("sms-signin"), { id: "sms-signin", kind: "signin", channel: "sms" });
    assert.deepEqual(parseMethod("email-signin"), { id: "email-signin", kind: "signin", channel: "email" });
    assert.deepEqual(parseMethod("sms-faceid"), { id: "sms-faceid", kind: "faceid", channel: "sms" });
    assert.deepEqual(parseMethod("email-faceid"), { id: "email-faceid", kind: "faceid", channel: "email" });
    assert.deepEqual(parseMethod("manager-approval"), { id: "manager-approval", kind: "approval", channel: "email" });
    for (const bad of ["push-signin", "signin", "sms-approval", "voice-faceid", "manager-approval-x"]) {
      assert.throws(() => parseMethod(bad), { code: "VALIDATION_FAILED" }, bad);
    }
  });

  it("treats every caller-page kind as carried by a channel, and push/passcode as not", () => {
    for (const kind of CALLER_PAGE_KINDS) assert.equal(isCallerPageKind(kind), true);
    assert.equal(isCallerPageKind("code"), false);
    assert.equal(isCallerPageKind("push"), false);
    assert.equal(usesChannel(parseMethod("manager-approval")), true);
    assert.equal(usesChannel(parseMethod("duo-push")), false);
  });

  it("labels each method in words", () => {
    assert.match(methodLabel("sms-signin"), /Sign-in/);
    assert.match(methodLabel("email-faceid"), /Face Check/);
    assert.match(methodLabel("manager-approval"), /manager/);
  });

  it("gives a sign-in only the level its evidence shows, and Face Check proofing only with a score", () => {
    assert.equal(assuranceOf("sms-signin", null, null), "possession");
    assert.equal(assuranceOf("sms-signin", null, { assurance: "phishing-resistant" }), "phishing-resistant");
    assert.equal(assuranceOf("sms-signin", null, { assurance: "app-matched" }), "app-matched");
    // A sign-in can never claim proofing, whatever its evidence says.
    assert.equal(assuranceOf("sms-signin", null, { assurance: "proofing" }), "possession");
    assert.equal(assuranceOf("sms-faceid", null, null), "possession");
    assert.equal(assuranceOf("sms-faceid", null, { faceCheck: { score: 88 } }), "proofing");
    assert.equal(assuranceOf("manager-approval", null, null), "possession");
  });

  it("says what each method can reach before it starts", () => {
    assert.equal(assuranceCeiling("email-signin"), "phishing-resistant");
    assert.equal(assuranceCeiling("sms-faceid"), "proofing");
    assert.equal(assuranceCeiling("sms"), "possession");
    assert.equal(assuranceCeiling("duo-passcode"), "app-matched");
  });

  it("words each kind's message for what the caller will do: pick a number, sign in, or Face Check", () => {
    assert.match(linkWording(DEFAULT_MESSAGES, "link").text, /pick the number/);
    const signin = linkWording(DEFAULT_MESSAGES, "signin");
    assert.match(signin.text, /sign in to your work account/);
    assert.doesNotMatch(signin.text, /pick the number/);
    assert.match(signin.subject, /sign in/);
    assert.match(linkWording(DEFAULT_MESSAGES, "faceid").text, /selfie/);
    for (const kind of ["link", "signin", "faceid"]) assert.ok(linkWording(DEFAULT_MESSAGES, kind).text.includes("{link}"), kind);
  });
});
