import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { signStandardWebhook } from "../../src/adapters/http/standard-webhooks.js";
import { specVerify } from "../fakes/notify/standard-webhooks-verify.js";

// The specification's test vector (PROVIDERS.md 9.1), checked with the tests' own verifier,
// written from the spec's text, so Verity's signer is held to the spec and not to itself.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: "1614265330",
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

const verify = (overrides: Partial<Parameters<typeof specVerify>[0]> = {}) =>
  specVerify({
    secret: VECTOR.secret,
    id: VECTOR.id,
    timestamp: VECTOR.timestamp,
    signatureHeader: VECTOR.signature,
    body: VECTOR.body,
    nowSeconds: Number(VECTOR.timestamp) + 1,
    ...overrides,
  });

describe("Standard Webhooks, by the specification's reference algorithm", () => {
  it("the independent verifier accepts the spec's vector and nothing altered", () => {
    assert.deepEqual(verify(), { ok: true });
    assert.equal(verify({ body: '{"test": 2432232315}' }).ok, false);
    assert.equal(verify({ id: "msg_other" }).ok, false);
    assert.equal(verify({ timestamp: "1614265331" }).ok, false);
    assert.equal(verify({ secret: `whsec_${randomBytes(24).toString("base64")}` }).ok, false);
    assert.equal(verify({ signatureHeader: VECTOR.signature.replace("v1,", "v2,") }).ok, false);
    assert.equal(verify({ nowSeconds: Number(VECTOR.timestamp) + 301 }).ok, false);
    assert.deepEqual(verify({ signatureHeader: `v1a,AAAA v1,bm90LXRoaXM= ${VECTOR.signature}` }), { ok: true }, "a rotation list");
  });

  it("Verity's signer produces the vector's signature, and its signatures verify", () => {
    const headers = signStandardWebhook({ secret: VECTOR.secret, id: VECTOR.id, timestampSeconds: Number(VECTOR.timestamp), body: VECTOR.body });
    assert.equal(headers["webhook-signature"], VECTOR.signature);
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const body = JSON.stringify({ type: "verification.completed", timestamp: "2026-11-23T09:00:00.000Z", data: { name: "Zoë Ünïcode" } });
    const now = Math.floor(Date.now() / 1000);
    const signed = signStandardWebhook({ secret, id: "msg_abc", timestampSeconds: now, body });
    assert.deepEqual(
      specVerify({ secret, id: signed["webhook-id"], timestamp: signed["webhook-timestamp"], signatureHeader: signed["webhook-signature"], body, nowSeconds: now }),
      { ok: true },
    );
  });

  it("Verity's signatures verify with the Standard Webhooks reference library (standardwebhooks), and a changed byte does not", () => {
    const reference = new Webhook(VECTOR.secret);
    assert.equal(reference.sign(VECTOR.id, new Date(Number(VECTOR.timestamp) * 1000), VECTOR.body), VECTOR.signature, "the library agrees with the spec's vector");
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const body = JSON.stringify({ type: "verification.fraud_reported", data: { caller: "Zoë", ticket: "INC0010001" } });
    const headers = signStandardWebhook({ secret, id: "msg_ref", timestampSeconds: Math.floor(Date.now() / 1000), body });
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
    assert.throws(() => new Webhook(secret).verify(body.replace("Zoë", "Zoe"), { ...headers }), /No matching signature/);
    assert.throws(() => new Webhook(`whsec_${randomBytes(32).toString("base64")}`).verify(body, { ...headers }), /No matching signature/);
  });
});
