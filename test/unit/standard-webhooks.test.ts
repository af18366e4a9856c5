import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { signStandardWebhook, verifyStandardWebhook, webhookSecretKey } from "../../src/adapters/http/standard-webhooks.js";

// The Standard Webhooks library's own test vector (PROVIDERS.md §9.1).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestampSeconds: 1614265330,
  body: '{"test": 2432232314}',
};

describe("Standard Webhooks signatures", () => {
  it("matches the specification's test vector", () => {
    assert.deepEqual(signStandardWebhook(VECTOR), {
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("verifies its own signatures, and nothing that was changed", () => {
    const headers = signStandardWebhook(VECTOR);
    const check = (overrides: Partial<Parameters<typeof verifyStandardWebhook>[0]>) =>
      verifyStandardWebhook({ secret: VECTOR.secret, headers, body: VECTOR.body, nowSeconds: VECTOR.timestampSeconds + 10, ...overrides });
    assert.equal(check({}), true);
    assert.equal(check({ body: '{"test": 2432232315}' }), false);
    assert.equal(check({ headers: { ...headers, "webhook-id": "msg_other" } }), false);
    assert.equal(check({ headers: { ...headers, "webhook-timestamp": String(VECTOR.timestampSeconds + 1) } }), false);
    assert.equal(check({ secret: `whsec_${randomBytes(32).toString("base64")}` }), false);
    assert.equal(check({ headers: { "webhook-id": headers["webhook-id"], "webhook-timestamp": headers["webhook-timestamp"] } }), false);
  });

  it("refuses a timestamp more than five minutes away, either way", () => {
    const headers = signStandardWebhook(VECTOR);
    const at = (nowSeconds: number) => verifyStandardWebhook({ secret: VECTOR.secret, headers, body: VECTOR.body, nowSeconds });
    assert.equal(at(VECTOR.timestampSeconds + 300), true);
    assert.equal(at(VECTOR.timestampSeconds + 301), false);
    assert.equal(at(VECTOR.timestampSeconds - 301), false);
  });

  it("accepts any v1 signature in a rotation list and skips other versions", () => {
    const headers = signStandardWebhook(VECTOR);
    const rotated = { ...headers, "webhook-signature": `v1a,AAAA v1,bm90LXRoaXMtb25l ${headers["webhook-signature"]}` };
    assert.equal(verifyStandardWebhook({ secret: VECTOR.secret, headers: rotated, body: VECTOR.body, nowSeconds: VECTOR.timestampSeconds }), true);
    const onlyOthers = { ...headers, "webhook-signature": `v2,${headers["webhook-signature"].slice(3)}` };
    assert.equal(verifyStandardWebhook({ secret: VECTOR.secret, headers: onlyOthers, body: VECTOR.body, nowSeconds: VECTOR.timestampSeconds }), false);
  });

  it("takes secrets of 24 to 64 bytes behind whsec_, and nothing else", () => {
    assert.equal(webhookSecretKey(VECTOR.secret)?.length, 24);
    assert.equal(webhookSecretKey(`whsec_${randomBytes(64).toString("base64")}`)?.length, 64);
    assert.equal(webhookSecretKey(`whsec_${randomBytes(16).toString("base64")}`), undefined);
    assert.equal(webhookSecretKey(`whsec_${randomBytes(65).toString("base64")}`), undefined);
    assert.equal(webhookSecretKey(randomBytes(32).toString("base64")), undefined);
    assert.equal(webhookSecretKey("whsec_not base64!"), undefined);
    assert.throws(() => signStandardWebhook({ ...VECTOR, secret: "hunter2" }), /whsec_/);
  });
});
