import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify } from "../../../src/adapters/push/entra-mfa/connector-results.js";
import { beginRequestXml, endRequestXml, escapeXml, parseConnectorResponse } from "../../../src/adapters/push/entra-mfa/connector-xml.js";
import {
  connectorEndpoints,
  DEFAULT_CONNECTOR_URL,
  DEFAULT_PASSCODE_CONNECTOR_URL,
  entraMfaConfigSchema,
  MFA_CLIENT_APP_ID,
} from "../../../src/adapters/push/entra-mfa/entra-mfa-config.js";
import { decodeRef, encodeRef } from "../../../src/adapters/push/entra-mfa/transaction-ref.js";
import { registered, unregistered } from "./entra-mfa-fixtures.js";

const certificate = () => ({ kind: "certificate", privateKey: registered().privateKey, certificate: registered().certificate });

describe("Entra MFA configuration", () => {
  it("defaults to the NPS extension's app, Microsoft's global hosts, async mode and RS256", () => {
    const config = entraMfaConfigSchema.parse({ kind: "entra", credential: certificate() });
    assert.equal(config.clientId, MFA_CLIENT_APP_ID);
    assert.equal(config.loginUrl, "https://login.microsoftonline.com");
    assert.equal(config.connectorUrl, DEFAULT_CONNECTOR_URL);
    assert.equal(config.mode, "async");
    assert.equal(config.pushMethod, "PhoneAppNotification");
    assert.equal(config.lcid, "en-us");
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.credential.kind === "certificate" && config.credential.algorithm, "RS256");
    assert.deepEqual(connectorEndpoints(config), {
      loginUrl: "https://login.microsoftonline.com",
      connectorUrl: DEFAULT_CONNECTOR_URL,
      passcodeConnectorUrl: DEFAULT_PASSCODE_CONNECTOR_URL,
      resource: DEFAULT_CONNECTOR_URL,
    });
  });

  it("keeps every URL of a sovereign cloud on that cloud", () => {
    const config = entraMfaConfigSchema.parse({
      kind: "entra",
      credential: { kind: "secret", secret: "s" },
      loginUrl: "https://login.microsoftonline.us/",
      connectorUrl: "https://adnotifications.windowsazure.us/StrongAuthenticationService.svc/Connector/",
    });
    const endpoints = connectorEndpoints(config);
    assert.equal(endpoints.loginUrl, "https://login.microsoftonline.us");
    assert.equal(endpoints.passcodeConnectorUrl, "https://adnotifications.windowsazure.us/StrongAuthenticationService.svc/Connector");
    assert.equal(endpoints.resource, "https://adnotifications.windowsazure.us/StrongAuthenticationService.svc/Connector");
  });

  it("refuses a key that does not belong to the certificate, unknown keys and a bad language tag", () => {
    const mismatched = entraMfaConfigSchema.safeParse({ kind: "entra", credential: { ...certificate(), privateKey: unregistered().privateKey } });
    assert.equal(mismatched.success, false);
    assert.match(JSON.stringify(mismatched.error?.issues), /does not belong to the configured certificate/);
    assert.equal(entraMfaConfigSchema.safeParse({ kind: "entra", credential: certificate(), lcid: "en us" }).success, false);
    assert.equal(entraMfaConfigSchema.safeParse({ kind: "entra", credential: certificate(), createSecrets: true }).success, false);
    assert.equal(entraMfaConfigSchema.safeParse({ kind: "entra", credential: certificate(), tenantId: "contoso.com" }).success, false);
  });

  it("never prints the secret or the private key", () => {
    const config = entraMfaConfigSchema.parse({ kind: "entra", credential: certificate() });
    assert.ok(!JSON.stringify(config).includes("PRIVATE KEY"));
  });
});

describe("Entra MFA connector XML", () => {
  it("escapes the five XML specials and refuses what XML cannot carry", () => {
    assert.equal(escapeXml(`a&b<c>"d'e`), "a&amp;b&lt;c&gt;&quot;d&apos;e");
    assert.throws(() => escapeXml("a\u0000b"), /cannot be sent in XML/);
    assert.throws(() => escapeXml("a\uFFFEb"), /cannot be sent in XML/);
    assert.equal(escapeXml("zoë 😀"), "zoë 😀");
  });

  it("builds requests in the documented element order", () => {
    const begin = beginRequestXml({ upn: "a@b.example", lcid: "en-us", contextId: "c", syncCall: false });
    assert.match(begin, /^<BeginTwoWayAuthenticationRequest><Version>1\.0<\/Version><UserPrincipalName>a@b\.example<\/UserPrincipalName><Lcid>en-us<\/Lcid><AuthenticationMethodProperties /);
    assert.match(begin, /<ContextId>c<\/ContextId><SyncCall>false<\/SyncCall><RequireUserMatch>true<\/RequireUserMatch><CallerName>Verity<\/CallerName><CallerIP>UNKNOWN:<\/CallerIP><\/BeginTwoWayAuthenticationRequest>$/);
    const end = endRequestXml({ sessionId: "s", contextId: "c", upn: "a@b.example", additionalAuthData: "123456" });
    assert.match(end, /<SessionId>s<\/SessionId><ContextId>c<\/ContextId><AdditionalAuthData>123456<\/AdditionalAuthData><UserPrincipalName>a@b\.example<\/UserPrincipalName>/);
  });

  it("reads the trace's response and treats nil as absent", () => {
    const parsed = parseConnectorResponse(
      '<?xml version="1.0"?><BeginTwoWayAuthenticationResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Version>1</Version><Result><Value>Success</Value><Message i:nil="true"/><Retry>false</Retry><Error i:nil="true"/><Exception i:nil="true"/><RenewCert>false</RenewCert></Result><SessionId>270867b8-6bac-434b-9a2a-cb682f461cbe</SessionId><AuthenticationResult i:nil="true"/><UserPrincipalName>o&apos;brien@contoso.com</UserPrincipalName><AffinityUrl>https://adnotifications.windowsazure.com/StrongAuthenticationService.svc/Connector/EndTwoWayAuthentication?dc=KRS</AffinityUrl><ValidEntropyNumber>0</ValidEntropyNumber></BeginTwoWayAuthenticationResponse>',
      "BeginTwoWayAuthenticationResponse",
    );
    assert.deepEqual(parsed, {
      result: { value: "Success", message: null, retry: false, error: null },
      sessionId: "270867b8-6bac-434b-9a2a-cb682f461cbe",
      authenticationResult: null,
      upn: "o'brien@contoso.com",
      affinityUrl: "https://adnotifications.windowsazure.com/StrongAuthenticationService.svc/Connector/EndTwoWayAuthentication?dc=KRS",
      validEntropyNumber: 0,
    });
  });

  it("gives nothing for a wrong root, a missing Result, a DOCTYPE or an oversized body", () => {
    const end = "<EndTwoWayAuthenticationResponse><Result><Value>Success</Value></Result></EndTwoWayAuthenticationResponse>";
    assert.equal(parseConnectorResponse(end, "BeginTwoWayAuthenticationResponse"), undefined);
    assert.equal(parseConnectorResponse("<EndTwoWayAuthenticationResponse><AuthenticationResult>true</AuthenticationResult></EndTwoWayAuthenticationResponse>", "EndTwoWayAuthenticationResponse"), undefined);
    assert.equal(parseConnectorResponse(`<!DOCTYPE a>${end}`, "EndTwoWayAuthenticationResponse"), undefined);
    assert.equal(parseConnectorResponse(`${end}${" ".repeat(300_000)}`, "EndTwoWayAuthenticationResponse"), undefined);
    assert.notEqual(parseConnectorResponse(end, "EndTwoWayAuthenticationResponse"), undefined);
  });
});

describe("Entra MFA results and references", () => {
  const response = (value: string, authenticationResult: boolean | null) => ({
    result: { value, message: null, retry: false, error: null },
    sessionId: null,
    authenticationResult,
    upn: null,
    affinityUrl: null,
    validEntropyNumber: null,
  });
  const context = { upn: "a@b.example", tenant: "t" };

  it("approves only Success with AuthenticationResult true", () => {
    assert.equal(classify(response("Success", true), context).kind, "approved");
    assert.equal(classify(response("Success", false), context).kind, "pending");
    assert.equal(classify(response("Success", null), context).kind, "pending");
    assert.equal(classify(response("PhoneAppDenied", true), context).kind, "refused");
    for (const value of ["PhoneAppDenied", "PhoneAppFraudReported", "PhoneAppFraud", "PhoneAppNoResponse", "InvalidSession"]) {
      assert.equal(classify(response(value, false), context).kind, "answered", value);
    }
    for (const value of ["AuthenticationThrottled", "AuthenticationMethodLimitReached", "InternalError"]) {
      assert.equal(classify(response(value, false), context).kind, "retry", value);
    }
    for (const value of ["AuthenticationMethodNotConfigured", "NoDefaultAuthenticationMethodIsConfigured", "ProofDataNotFound", "UserNotFound", "BecAccessDenied", "AccessDenied", "TenantIsBlocked", "InvalidParameter"]) {
      assert.equal(classify(response(value, false), context).kind, "refused", value);
    }
  });

  it("round-trips session and resolved references", () => {
    const session = { kind: "session" as const, tenant: "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a", upn: "o'brien@contoso.example", sessionId: "abc-1", contextId: "69ff05bf-eb61-47f7-a70e-e7d77b6d47d0", dc: "KRS" };
    assert.deepEqual(decodeRef(encodeRef(session)), session);
    const resolved = { kind: "resolved" as const, outcome: "denied" as const, detail: "no" };
    assert.deepEqual(decodeRef(encodeRef(resolved)), resolved);
    assert.throws(() => decodeRef(encodeRef(session).replace("entra-mfa.v1.", "entra-mfa.v2.")), /not made by the Entra MFA provider/);
  });
});
