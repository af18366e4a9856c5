import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { failure, pushRequest, SECRET, startHarness, TRICKY_UPN, type Harness } from "./entra-mfa-fixtures.js";

const BEGIN = "/connector/BeginTwoWayAuthentication";
const END = "/connector/EndTwoWayAuthentication";

const endBody = (value: string, authenticationResult: string) =>
  `<EndTwoWayAuthenticationResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Version>1</Version><Result><Value>${value}</Value><Message i:nil="true"/><Retry>false</Retry></Result>${authenticationResult}</EndTwoWayAuthenticationResponse>`;

describe("Entra MFA push: configuration errors at the start", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("says push is not the user's default method when the connector finds no default", async () => {
    const refused = await failure(h.provider({ pushMethod: "default" }).startPush(pushRequest("nodefault@contoso.example")));
    assert.equal(refused.code, "NO_USABLE_FACTOR");
    assert.match(refused.message, /push is not this user's default method/);
    assert.match(refused.message, /Microsoft Authenticator – notification.*aka\.ms\/mysecurityinfo/);
  });

  it("says the user has no Authenticator when the push method is not registered", async () => {
    const refused = await failure(h.provider().startPush(pushRequest("smsonly@contoso.example")));
    assert.equal(refused.code, "NO_USABLE_FACTOR");
    assert.match(refused.message, /has no Microsoft Authenticator registered/);
  });

  it("names the userId rule when the connector does not know the user", async () => {
    const refused = await failure(h.provider().startPush(pushRequest("nobody@contoso.example")));
    assert.equal(refused.code, "NO_USABLE_FACTOR");
    assert.match(refused.message, /BecAccessDenied.*userId rule/);
  });

  it("refuses a user of another tenant than the pinned one as a configuration problem", async () => {
    const refused = await failure(h.provider().startPush(pushRequest("fabi@fabrikam.example")));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /AccessDenied.*Pin the right tenantId/);
  });

  it("reports a blocked tenant", async () => {
    const refused = await failure(h.provider({ tenantId: "0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b" }).startPush(pushRequest("t@tailspin.example")));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
    assert.match(refused.message, /TenantIsBlocked/);
  });
});

describe("Entra MFA push: throttling and transport failures", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    h.fake.resetStats();
    h.fake.clearFailures();
  });

  it("a throttled start is a retryable error, never a push", async () => {
    const refused = await failure(h.provider().startPush(pushRequest("throttled@contoso.example")));
    assert.equal(refused.code, "PROVIDER_UNAVAILABLE");
    assert.equal(refused.retryable, true);
    assert.equal(refused.retryAfterSeconds, 60);
    assert.match(refused.message, /AuthenticationThrottled/);
  });

  it("a throttled or failing poll throws rather than answering, and the next poll carries on", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("jane.doe@contoso.example"));
    h.fake.failNext(END, { result: "AuthenticationThrottled" });
    const throttled = await failure(provider.pollPush(transactionRef));
    assert.equal(throttled.code, "PROVIDER_UNAVAILABLE");
    assert.equal(throttled.retryAfterSeconds, 5, "a poll backs off briefly: the push itself is still out");
    h.fake.failNext(END, { result: "InternalError" });
    assert.equal((await failure(provider.pollPush(transactionRef))).code, "PROVIDER_UNAVAILABLE");
    h.fake.failNext(END, { status: 503 });
    assert.equal((await failure(provider.pollPush(transactionRef))).code, "PROVIDER_UNAVAILABLE");
    assert.equal((await provider.pollPush(transactionRef)).outcome, "waiting");
  });

  it("a poll that gets no answer throws PROVIDER_UNAVAILABLE, never approval", async () => {
    const provider = h.provider({ timeoutMs: 300 });
    const { transactionRef } = await provider.startPush(pushRequest("jane.doe@contoso.example"));
    h.fake.failNext(END, { hang: true });
    const hung = await failure(provider.pollPush(transactionRef));
    assert.equal(hung.code, "PROVIDER_UNAVAILABLE");
    assert.match(hung.message, /did not answer within 300 ms/);
  });

  it("an unreadable or self-contradicting answer is an error, never approval", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest("jane.doe@contoso.example"));
    const bodies: [string, string][] = [
      ["<html><body>Service Unavailable</body></html>", "PROVIDER_ERROR"],
      ["not xml at all", "PROVIDER_ERROR"],
      [`<!DOCTYPE x [<!ENTITY e "Success">]>${endBody("&e;", "<AuthenticationResult>true</AuthenticationResult>")}`, "PROVIDER_ERROR"],
      [endBody("PhoneAppDenied", "<AuthenticationResult>true</AuthenticationResult>"), "PROVIDER_ERROR"],
      [`<BeginTwoWayAuthenticationResponse><Result><Value>Success</Value></Result><AuthenticationResult>true</AuthenticationResult></BeginTwoWayAuthenticationResponse>`, "PROVIDER_ERROR"],
      [endBody("SomethingNew", "<AuthenticationResult>false</AuthenticationResult>"), "PROVIDER_ERROR"],
      // A repeated element is ambiguous, so it counts as absent.
      [endBody("Success", "<AuthenticationResult>true</AuthenticationResult><AuthenticationResult>true</AuthenticationResult>"), "waiting"],
    ];
    for (const [body, expected] of bodies) {
      h.fake.failNext(END, { body });
      let outcome: string;
      try {
        outcome = (await provider.pollPush(transactionRef)).outcome;
      } catch (error) {
        outcome = (error as { code: string }).code;
      }
      assert.equal(outcome, expected, body.slice(0, 80));
    }
    h.fake.failNext(END, { body: endBody("Success", '<AuthenticationResult i:nil="true"/>') });
    assert.equal((await provider.pollPush(transactionRef)).outcome, "waiting", "Success without AuthenticationResult true is not approval");
  });

  it("a start that times out says so and is not retried (the push may have been sent)", async () => {
    const provider = h.provider({ timeoutMs: 300 });
    h.fake.failNext(BEGIN, { hang: true });
    const refused = await failure(provider.startPush(pushRequest("quiet@contoso.example")));
    assert.equal(refused.code, "PROVIDER_UNAVAILABLE");
    assert.equal(h.fake.count(BEGIN), 1);
  });

  it("fetches a fresh token once when the connector refuses the cached one", async () => {
    const provider = h.provider();
    await provider.startPush(pushRequest("quiet@contoso.example"));
    const before = h.fake.tokensIssued();
    h.fake.revokeTokens();
    await provider.startPush(pushRequest("quiet@contoso.example"));
    assert.equal(h.fake.tokensIssued(), before + 1);
    h.fake.failNext(BEGIN, { status: 401 }, 2);
    const refused = await failure(provider.startPush(pushRequest("quiet@contoso.example")));
    assert.equal(refused.code, "UPSTREAM_AUTH_FAILED");
  });
});

describe("Entra MFA push: XML escaping", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("escapes the UPN, so the connector reads exactly the user asked for", async () => {
    const provider = h.provider();
    const { transactionRef } = await provider.startPush(pushRequest(TRICKY_UPN));
    const begin = h.fake.requests.find((r) => r.path === BEGIN);
    assert.equal(begin?.fields?.UserPrincipalName, TRICKY_UPN);
    assert.ok(begin?.xml?.includes("<UserPrincipalName>o&apos;brien&amp;&lt;sales&gt;&quot;q&quot;@contoso.example</UserPrincipalName>"));
    assert.equal((await provider.pollPush(transactionRef)).outcome, "approved");
    assert.equal(h.fake.requests.find((r) => r.path === END)?.fields?.UserPrincipalName, TRICKY_UPN);
  });

  it("cannot be steered by markup in a user id", async () => {
    const injected = "x</UserPrincipalName><SyncCall>true</SyncCall><Lcid>fr</Lcid>@contoso.example";
    const refused = await failure(h.provider().startPush(pushRequest(injected)));
    assert.equal(refused.code, "NO_USABLE_FACTOR");
    const begin = h.fake.requests.find((r) => r.path === BEGIN);
    assert.equal(begin?.elements?.filter((e) => e === "SyncCall").length, 1);
    assert.equal(begin?.fields?.SyncCall, "false");
    assert.equal(begin?.fields?.UserPrincipalName, injected);
  });

  it("refuses a user id XML cannot carry, or that is not a UPN, without calling Microsoft", async () => {
    const provider = h.provider();
    assert.equal((await failure(provider.startPush(pushRequest("bad\u0001name@contoso.example")))).code, "VALIDATION_FAILED");
    assert.equal((await failure(provider.startPush(pushRequest("jdoe")))).code, "VALIDATION_FAILED");
    assert.equal(h.fake.count("/connector"), 0);
  });

  it("never logs the secret, a token or the private key", async () => {
    const provider = h.provider({ credential: { kind: "secret", secret: SECRET } });
    await provider.startPush(pushRequest("jane.doe@contoso.example"));
    const text = h.logs.join("\n");
    assert.ok(h.logs.length > 0);
    assert.ok(!text.includes(SECRET));
    assert.ok(!/Bearer|PRIVATE KEY|access_token|client_assertion/i.test(text));
  });
});
