import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import {
  computeTwilioSignature,
  urlVariants,
  validateTwilioJsonSignature,
  validateTwilioSignature,
} from "../../../src/adapters/channel/twilio-sms/twilio-signature.js";
import { signTwilioForm } from "../../fakes/twilio/fake-twilio.js";

// The vector from PROVIDERS.md §4.3.
const TOKEN = "12345";
const URL_ = "https://mycompany.com/myapp.php?foo=1&bar=2";
const PARAMS = { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" };
const SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

const valid = (overrides: Partial<Parameters<typeof validateTwilioSignature>[0]> = {}) =>
  validateTwilioSignature({ authToken: TOKEN, url: URL_, params: PARAMS, signature: SIGNATURE, ...overrides });

describe("X-Twilio-Signature", () => {
  it("matches the documented vector", () => {
    assert.equal(computeTwilioSignature(TOKEN, URL_, PARAMS), SIGNATURE);
    assert.equal(valid(), true);
  });

  it("agrees with the fake's independent signer", () => {
    assert.equal(signTwilioForm(TOKEN, URL_, PARAMS), SIGNATURE);
  });

  it("does not depend on the order parameters arrive in", () => {
    const reversed = Object.fromEntries(Object.entries(PARAMS).reverse());
    assert.equal(valid({ params: reversed }), true);
  });

  it("rejects a wrong token, a tampered parameter, an added parameter and another URL", () => {
    assert.equal(valid({ authToken: "54321" }), false);
    assert.equal(valid({ params: { ...PARAMS, Digits: "1235" } }), false);
    assert.equal(valid({ params: { ...PARAMS, Extra: "1" } }), false);
    assert.equal(valid({ url: "https://mycompany.com/myapp.php?foo=1&bar=3" }), false);
    assert.equal(valid({ url: "http://mycompany.com/myapp.php?foo=1&bar=2" }), false);
  });

  it("rejects a missing, empty, truncated or differently sized signature without throwing", () => {
    assert.equal(valid({ signature: undefined }), false);
    assert.equal(valid({ signature: "" }), false);
    assert.equal(valid({ signature: SIGNATURE.slice(0, -1) }), false);
    assert.equal(valid({ signature: `${SIGNATURE}AAAA` }), false);
    assert.equal(valid({ signature: "\u00e9".repeat(14) }), false);
    assert.equal(valid({ authToken: "" }), false);
  });

  it("accepts the URL with or without the explicit default port", () => {
    const withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    assert.equal(valid({ url: withPort }), true, "signed without the port, received with it");
    const signedWithPort = computeTwilioSignature(TOKEN, withPort, PARAMS);
    assert.notEqual(signedWithPort, SIGNATURE);
    assert.equal(valid({ signature: signedWithPort }), true, "signed with the port, received without it");
    const http = "http://mycompany.com/hook";
    assert.equal(valid({ url: http, signature: computeTwilioSignature(TOKEN, "http://mycompany.com:80/hook", PARAMS) }), true);
  });

  it("never drops a port that is not the default", () => {
    assert.deepEqual(urlVariants("https://verity.example:8443/hook?a=1"), ["https://verity.example:8443/hook?a=1"]);
    assert.equal(valid({ url: "https://mycompany.com:8443/myapp.php?foo=1&bar=2" }), false);
    assert.deepEqual(urlVariants("https://user@[::1]/x"), ["https://user@[::1]/x", "https://user@[::1]:443/x"]);
    assert.deepEqual(urlVariants("not a url"), ["not a url"]);
  });

  it("signs the query string exactly as given", () => {
    const url = "https://verity.example/hook?tenant=a%20b&x=%7E";
    const signature = createHmac("sha1", TOKEN).update(`${url}A1`).digest("base64");
    assert.equal(validateTwilioSignature({ authToken: TOKEN, url, params: { A: "1" }, signature }), true);
  });

  it("appends a repeated parameter once per distinct value, values sorted", () => {
    const url = "https://verity.example/hook";
    const expected = createHmac("sha1", TOKEN).update(`${url}Aa0Ab0Bz`).digest("base64");
    const params = { B: "z", A: ["b0", "a0", "b0"] };
    assert.equal(computeTwilioSignature(TOKEN, url, params), expected);
    assert.equal(validateTwilioSignature({ authToken: TOKEN, url, params, signature: expected }), true);
    assert.equal(validateTwilioSignature({ authToken: TOKEN, url, params: { B: "z", A: ["a0"] }, signature: expected }), false);
  });

  it("checks JSON webhooks by the URL's bodySHA256", () => {
    const body = '{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}';
    const url = `https://mycompany.com/myapp?bodySHA256=${createHash("sha256").update(body).digest("hex")}`;
    const signature = computeTwilioSignature(TOKEN, url, {});
    assert.equal(validateTwilioJsonSignature({ authToken: TOKEN, url, rawBody: body, signature }), true);
    assert.equal(validateTwilioJsonSignature({ authToken: TOKEN, url, rawBody: Buffer.from(body), signature }), true);
    assert.equal(validateTwilioJsonSignature({ authToken: TOKEN, url, rawBody: body.replace("1234", "1235"), signature }), false);
    assert.equal(validateTwilioJsonSignature({ authToken: "other", url, rawBody: body, signature }), false);
    const bare = "https://mycompany.com/myapp";
    assert.equal(validateTwilioJsonSignature({ authToken: TOKEN, url: bare, rawBody: body, signature: computeTwilioSignature(TOKEN, bare, {}) }), false);
  });
});
