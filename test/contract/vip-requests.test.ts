import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { after, before, it } from "node:test";
import { pino } from "pino";
import { vipConfigSchema } from "../../src/adapters/push/vip/vip-config.js";
import { createVipPushProvider } from "../../src/adapters/push/vip/vip-push-provider.js";
import { SOAP_NS } from "../../src/adapters/push/vip/vip-requests.js";
import { parseXml, type XmlElement } from "../../src/adapters/push/vip/vip-xml.js";
import type { DirectoryUser } from "../../src/domain/ports.js";
import { AUTH_PATH, QUERY_PATH, startFakeVip, type FakeVip, type RecordedVipRequest } from "../fakes/vip/fake-vip.js";
import { sharedContract } from "./contract-files.js";
import { loadXsd, type XsdSchema } from "./xsd-model.js";
import { validateElement } from "./xsd-validate.js";
import { loadWsdl, type WsdlService } from "./xsd-wsdl.js";

const files = {
  xsd: sharedContract("symantec-vip/vipuserservices-1.7.xsd"),
  auth: sharedContract("symantec-vip/vipuserservices-auth-1.7.wsdl"),
  query: sharedContract("symantec-vip/vipuserservices-query-1.7.wsdl"),
  mgmt: sharedContract("symantec-vip/vipuserservices-mgmt-1.7.wsdl"),
};
const missing = Object.values(files).find((f) => !f.present);

const USER: DirectoryUser = { id: "u1", upn: "jane.doe@acme.example", displayName: "Jane Doe", phones: [], emails: [], groups: [], privileged: false, providerIds: {}, unusable: [] };

const bodyElement = (xml: string): XmlElement | undefined => parseXml(xml).children.find((c) => c.ns === SOAP_NS && c.local === "Body")?.children[0];

describeUnless(
  "Symantec VIP User Services 1.7 contract (vipuserservices-1.7.xsd and WSDLs)",
  missing === undefined ? false : `the VIP contract is not at ${missing.path} (the shared/contracts folder sits beside the repository in CI)`,
  () => {
    let schema: XsdSchema;
    let services: Record<"auth" | "query" | "mgmt", WsdlService>;
    let fake: FakeVip;
    before(async () => {
      schema = loadXsd(files.xsd.path);
      services = { auth: loadWsdl(files.auth.path), query: loadWsdl(files.query.path), mgmt: loadWsdl(files.mgmt.path) };
      fake = await startFakeVip();
      await exercise(fake);
    });
    after(() => fake?.close());

    const serviceFor = (r: RecordedVipRequest) => (r.path === AUTH_PATH ? services.auth : r.path === QUERY_PATH ? services.query : undefined);

    it("exercised every operation Verity uses", () => {
      assert.deepEqual(
        [...new Set(fake.requests.map((r) => r.operation))].sort(),
        ["AuthenticateUserWithPushRequest", "CheckOtpRequest", "GetServerTimeRequest", "GetUserInfoRequest", "PollPushStatusRequest"],
      );
    });

    it("posts each request to the service whose WSDL declares it, as that binding says", () => {
      for (const request of fake.requests) {
        const service = serviceFor(request);
        assert.ok(service !== undefined, `${request.path} is not a VIP service path`);
        assert.equal(new URL(service.address).pathname, request.path);
        const element = bodyElement(request.body);
        const operation = service.operations.find((op) => op.input.ns === element?.ns && op.input.local === element.local);
        assert.ok(operation !== undefined, `${element?.local ?? "?"} is not an input of ${service.name}`);
        assert.equal(request.headers.soapaction, JSON.stringify(operation.soapAction));
        assert.match(String(request.headers["content-type"]), /^text\/xml\b/);
      }
    });

    it("sends bodies valid against the schema: namespace, order, occurrences and simple types", () => {
      for (const request of fake.requests) {
        const element = bodyElement(request.body);
        assert.ok(element !== undefined);
        assert.deepEqual(validateElement(schema, element), [], request.body);
      }
    });

    it("gets answers from the fake that the schema also accepts, so the fake stays honest", () => {
      for (const request of fake.requests) {
        const element = bodyElement(request.response?.body ?? "");
        assert.ok(element !== undefined, "a SOAP answer");
        assert.deepEqual(validateElement(schema, element), [], request.response?.body);
        const output = serviceFor(request)?.operations.find((op) => op.input.local === request.operation)?.output;
        assert.equal(element.local, output?.local);
      }
    });

    it("would catch a hyphenated requestId, elements out of order, a missing or repeated element, a long value, a foreign namespace", () => {
      const push = fake.requests.find((r) => r.operation === "AuthenticateUserWithPushRequest")?.body ?? "";
      const poll = fake.requests.find((r) => r.operation === "PollPushStatusRequest")?.body ?? "";
      const problems = (xml: string) => {
        const element = bodyElement(xml);
        return element === undefined ? ["no body element"] : validateElement(schema, element);
      };
      const requestId = /<requestId>[^<]+<\/requestId>/.exec(push)?.[0] ?? "";
      const userId = /<userId>[^<]*<\/userId>/.exec(push)?.[0] ?? "";
      const requestParameters = /<requestParameters>.*?<\/requestParameters>/s.exec(push)?.[0] ?? "";
      const transactionId = /<transactionId>[^<]+<\/transactionId>/.exec(poll)?.[0] ?? "";
      assert.deepEqual(problems(push), []);
      assert.match(problems(push.replace(/<requestId>[^<]+/, "<requestId>3f1c-9a2b-4e7d")).join(), /requestId = "3f1c-9a2b-4e7d" does not match the pattern/);
      assert.match(problems(push.replace(requestId + userId, userId + requestId)).join(), /expected requestId at position 1 but found <userId>/);
      assert.match(problems(push.replace(/<pushAuthData>.*<\/pushAuthData>/s, "")).join(), /expected .*pushAuthData/);
      assert.match(problems(push.replace(requestParameters, "").replace("<pushAuthData>", `<pushAuthData>${requestParameters}`)).join(), /unexpected <displayParameters>/);
      assert.match(problems(push.replace(/<Value>120<\/Value>/, `<Value>${"x".repeat(251)}</Value>`)).join(), /Value is longer than 250/);
      assert.match(problems(poll.replace(/<transactionId>/, "<transactionId>bad-")).join(), /transactionId = "bad-.*" does not match/);
      assert.match(problems(poll.replace(transactionId, "")).join(), /expected .*transactionId/);
      assert.match(problems(poll.replace(transactionId, transactionId.repeat(21))).join(), /unexpected <transactionId> at position 22/);
      assert.match(problems(poll.replace(/vipuserservices"/, 'vipuserservices/other"')).join(), /namespace/);
      assert.match(problems(poll.replace("</PollPushStatusRequest>", "<cancel>true</cancel></PollPushStatusRequest>")).join(), /unexpected <cancel>/);
    });

    it("confirms VIP offers no way to withdraw a push, so cancelPush is rightly a no-op", () => {
      const operations = Object.values(services).flatMap((s) => s.operations.map((op) => op.name));
      assert.ok(operations.length > 20);
      assert.deepEqual(operations.filter((name) => /cancel|revoke|withdraw|abort/i.test(name)), []);
    });

    it("defaults to the endpoints the WSDLs name", () => {
      const defaults = vipConfigSchema.parse({ kind: "vip", certificate: fake.pki.client.cert, privateKey: fake.pki.client.key });
      assert.equal(defaults.authUrl, services.auth.address);
      assert.equal(defaults.queryUrl, services.query.address);
    });
  },
);

/** Drives the real provider through every call and option it has, against the fake. */
async function exercise(fake: FakeVip): Promise<void> {
  const log = pino({ level: "silent" });
  const clock = { now: () => new Date() };
  const base = { kind: "vip", authUrl: fake.authUrl, queryUrl: fake.queryUrl, certificate: fake.pki.client.cert, privateKey: fake.pki.client.key, ca: fake.pki.ca.cert };
  const plain = createVipPushProvider(vipConfigSchema.parse(base), { name: "vip", clock, log });
  const branded = createVipPushProvider(vipConfigSchema.parse({ ...base, profile: "https://sso.acme.example/<login>", pushTimeoutSeconds: 90 }), { name: "vip", clock, log });
  const context = { organisation: "Acme & Sons", technician: "Tom", ticket: "1042" };
  try {
    for (const [provider, title, message] of [
      [plain, "Acme service desk", "Tom is checking your identity (1042)."],
      [branded, "Acme <IT> & \"Ops\"", `${"Long text ".repeat(40)}😀`],
    ] as const) {
      const { transactionRef } = await provider.startPush({ verificationId: "v", tenantId: "acme", user: USER, providerUserId: "jdoe", title, message, context, timeoutSeconds: 120 });
      await provider.pollPush(transactionRef);
    }
    await plain.checkPasscode({ verificationId: "v", tenantId: "acme", user: USER, providerUserId: "otp.only", passcode: fake.validOtp("otp.only") });
    await plain.checkPasscode({ verificationId: "v", tenantId: "acme", user: USER, providerUserId: "otp.only", passcode: "ABCDEF1234" });
    await plain.describeUser({ providerUserId: "jdoe", user: USER, tenantId: "acme" });
    await plain.describeUser({ providerUserId: "sms.only", user: USER, tenantId: "acme" });
    assert.equal((await plain.probe?.())?.ok, true);
    await plain.describeUser({ providerUserId: "x".repeat(128), user: USER, tenantId: "acme" });
  } finally {
    await Promise.all([plain.close(), branded.close()]);
  }
}
