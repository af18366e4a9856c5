import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { after, before, it } from "node:test";
import type { OktaPushProvider } from "../../src/adapters/push/okta/okta-push-provider.js";
import type { RecordedOktaRequest } from "../fakes/okta/fake-okta.js";
import { directoryUser, JANE, JANE_PASSCODE, pollUntilAnswered, pushRequest, SAM, startOktaKit, type OktaKit } from "../adapters/okta/okta-kit.js";
import { sharedContract } from "./contract-files.js";
import { checkRequest, checkResponse, findOperation, loadOpenApi, type CheckedRequest, type OpenApiDocument } from "./openapi-check.js";
import { checkExampleShape } from "./okta-spec-examples.js";

const contract = sharedContract("okta/okta-factors.openapi.yaml");
const spec = loadOpenApi(contract.path);
const VERIFY = "/api/v1/users/{userId}/factors/{factorId}/verify";
const TRANSACTION = "/api/v1/users/{userId}/factors/{factorId}/transactions/{transactionId}";

const asChecked = (r: RecordedOktaRequest): CheckedRequest => ({ method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.rawBody });
const isApi = (r: RecordedOktaRequest) => r.path.startsWith("/api/v1/");
const body = (r: RecordedOktaRequest) => r.response?.body as Record<string, unknown> | undefined;

describeUnless(
  "Okta Factors API contract (okta-management-openapi-spec subset)",
  spec === null ? `the Okta contract is not at ${contract.path} (the shared/contracts folder sits beside the repository in CI)` : false,
  () => {
    const document = spec as OpenApiDocument;
    const template = (r: RecordedOktaRequest) => findOperation(document, r.method, r.path)?.template;
    let kit: OktaKit;
    before(async () => {
      kit = await startOktaKit({ pushLifetimeMs: 250 });
      const run = async (okta: OktaPushProvider, login: string) => {
        const started = await okta.startPush(pushRequest(login));
        await okta.pollPush(started.transactionRef);
        return pollUntilAnswered(okta, started.transactionRef, 20);
      };
      const ssws = kit.provider();
      const plain = kit.provider({ numberChallenge: false });
      const oauth = kit.provider({ auth: kit.oauth() });
      for (const login of [JANE, SAM, "ghost@acme.example"]) await ssws.describeUser({ providerUserId: login, user: directoryUser(login), tenantId: "acme" });
      kit.fake.setCaller(JANE, { action: "approve", afterMs: 60 });
      await run(ssws, JANE);
      kit.fake.setCaller(SAM, { action: "approve", afterMs: 60 });
      await run(plain, SAM);
      kit.fake.setCaller(JANE, { action: "deny", afterMs: 40 });
      await run(oauth, JANE);
      kit.fake.setCaller(JANE, { action: "ignore" });
      await run(ssws, JANE);
      await ssws.cancelPush((await ssws.startPush(pushRequest(JANE))).transactionRef);
      await ssws.checkPasscode({ verificationId: "v", tenantId: "acme", user: directoryUser(JANE), providerUserId: JANE, passcode: JANE_PASSCODE });
      await ssws.checkPasscode({ verificationId: "v", tenantId: "acme", user: directoryUser(JANE), providerUserId: JANE, passcode: "000000" });
    });
    after(() => kit.close());

    it("exercised every operation, body and push outcome Verity meets", () => {
      // DELETE has no operation in the subset (see the cancel test), so it is named by the GET's template.
      const operations = new Set(kit.fake.requests.filter(isApi).map((r) => `${r.method} ${template(r) ?? findOperation(document, "GET", r.path)?.template ?? r.path}`));
      assert.deepEqual([...operations].sort(), [
        "DELETE /api/v1/users/{userId}/factors/{factorId}/transactions/{transactionId}",
        "GET /api/v1/users/{id}",
        "GET /api/v1/users/{userId}/factors",
        `GET ${TRANSACTION}`,
        `POST ${VERIFY}`,
      ]);
      const bodies = new Set(kit.fake.requests.filter((r) => r.method === "POST" && isApi(r)).map((r) => Object.keys(JSON.parse(r.rawBody === "" ? "{}" : r.rawBody) as object).join() || "(none)"));
      assert.deepEqual([...bodies].sort(), ["(none)", "passCode", "useNumberMatchingChallenge"]);
      const polled = kit.fake.requests.filter((r) => r.method === "GET" && template(r) === TRANSACTION).map((r) => `${String(body(r)?.factorResult)}${body(r)?._embedded === undefined ? "" : "+number"}`);
      assert.deepEqual([...new Set(polled)].sort(), ["REJECTED", "SUCCESS", "TIMEOUT", "WAITING", "WAITING+number"]);
    });

    it("sends only what the spec declares: path, method, parameters, auth and body", () => {
      for (const request of kit.fake.requests.filter((r) => isApi(r) && r.method !== "DELETE")) {
        assert.deepEqual(checkRequest(document, asChecked(request)), [], `${request.method} ${request.path} ${request.rawBody}`);
      }
    });

    it("cancels with DELETE on the cancel link exactly as Okta's documented answer gives it", () => {
      const cancelLinks = kit.fake.requests.filter((r) => template(r) === VERIFY && r.response?.status === 201).map((r) => {
        const links = body(r)?._links as { cancel: { href: string; hints: { allow: string[] } } };
        assert.deepEqual(links.cancel.hints.allow, ["DELETE"]);
        return new URL(links.cancel.href).pathname;
      });
      const deletes = kit.fake.requests.filter((r) => r.method === "DELETE");
      assert.equal(deletes.length, 1);
      for (const request of deletes) {
        assert.ok(cancelLinks.includes(request.path), request.path);
        assert.equal(request.rawBody, "");
        // The subset documents cancel only as a link (hints.allow DELETE), not as an operation.
        if (findOperation(document, "DELETE", request.path) !== undefined) assert.deepEqual(checkRequest(document, asChecked(request)), []);
        else assert.equal(findOperation(document, "GET", request.path)?.template, TRANSACTION);
      }
    });

    it("asks the org authorization server for no more than the scopes each operation declares", () => {
      const tokenRequests = kit.fake.requests.filter((r) => r.path === "/oauth2/v1/token");
      assert.equal(tokenRequests.length, 1);
      const flows = (document.components?.securitySchemes?.oauth2 as { flows?: Record<string, { tokenUrl?: string }> } | undefined)?.flows ?? {};
      assert.ok(Object.values(flows).some((f) => f.tokenUrl === tokenRequests[0]?.path), "the spec's oauth2 tokenUrl");
      const granted = new URLSearchParams(tokenRequests[0]?.rawBody).get("scope")?.split(" ") ?? [];
      const needed = new Set<string>();
      for (const request of kit.fake.requests.filter((r) => isApi(r) && /^Bearer /.test(String(r.headers.authorization)) && r.method !== "DELETE")) {
        const scopes = findOperation(document, request.method, request.path)?.operation.security?.find((s) => s.oauth2 !== undefined)?.oauth2 ?? [];
        for (const scope of scopes) needed.add(scope);
        assert.ok(scopes.every((s) => granted.includes(s)), `${request.method} ${request.path} needs ${scopes.join()}`);
      }
      assert.deepEqual([...needed].sort(), [...granted].sort());
    });

    it("gets answers from the fake that match the spec's schemas", () => {
      for (const request of kit.fake.requests.filter((r) => isApi(r) && r.method !== "DELETE" && r.response !== null)) {
        const { status, body: answer } = request.response ?? { status: 0, body: null };
        assert.deepEqual(checkResponse(document, request.method, request.path, status, answer), [], `${request.method} ${request.path} ${status} ${JSON.stringify(answer)}`);
      }
    });

    it("gets verify and poll answers shaped like the spec's own examples", () => {
      const checked = kit.fake.requests.filter((r) => (template(r) === VERIFY || (template(r) === TRANSACTION && r.method === "GET")) && r.response !== null);
      assert.ok(checked.length > 10);
      for (const request of checked) {
        const { status, body: answer } = request.response ?? { status: 0, body: null };
        assert.deepEqual(checkExampleShape(document, request.method, request.path, status, answer), [], `${request.method} ${request.path} ${status}`);
      }
    });

    it("would catch a misspelled or mistyped body, an undeclared query, no auth, or a wrong path or method", () => {
      const verify = kit.fake.requests.find((r) => template(r) === VERIFY && r.rawBody.includes("useNumberMatchingChallenge"));
      assert.ok(verify !== undefined);
      const base = asChecked(verify);
      const variant = (change: Partial<CheckedRequest>) => checkRequest(document, { ...base, ...change }).join("\n");
      assert.match(variant({ body: '{"useNumberMatchingChalenge":true}' }), /matches none of its alternatives.*useNumberMatchingChalenge is not a declared property/);
      assert.match(variant({ body: '{"passcode":"123456"}' }), /passcode is not a declared property/);
      assert.match(variant({ body: '{"useNumberMatchingChallenge":"yes"}' }), /useNumberMatchingChallenge is string, declared boolean/);
      assert.match(variant({ body: '{"passCode":123456}' }), /passCode is integer, declared string/);
      assert.match(variant({ body: "useNumberMatchingChallenge=true", headers: { ...base.headers, "content-type": "application/x-www-form-urlencoded" } }), /content type application\/x-www-form-urlencoded is not one of application\/json/);
      assert.match(variant({ query: "?useNumberMatchingChallenge=true" }), /query parameter useNumberMatchingChallenge is not declared/);
      assert.match(variant({ query: "?tokenLifetimeSeconds=soon" }), /query parameter tokenLifetimeSeconds = "soon" is not an integer/);
      assert.match(variant({ query: "?tokenLifetimeSeconds=0" }), /query parameter tokenLifetimeSeconds is below 1/);
      assert.match(variant({ headers: { ...base.headers, authorization: undefined } }), /does not authenticate with apiToken or oauth2/);
      assert.match(variant({ path: base.path.replace("/verify", "/verification") }), /matches no operation/);
      assert.match(variant({ method: "PUT" }), /matches no operation/);
      assert.equal(variant({ body: "", headers: { ...base.headers, "content-type": undefined } }), "", "a push without number challenge sends no body");
    });

    it("would catch a fake that answers unlike Okta", () => {
      const poll = kit.fake.requests.find((r) => template(r) === TRANSACTION && r.method === "GET" && body(r)?._embedded !== undefined);
      const verify = kit.fake.requests.find((r) => template(r) === VERIFY && r.response?.status === 201 && body(r)?._embedded !== undefined);
      assert.ok(poll !== undefined && verify !== undefined);
      const pollBody = body(poll) ?? {};
      const verifyBody = body(verify) ?? {};
      assert.match(checkResponse(document, "GET", poll.path, 200, { ...pollBody, factorResult: "APPROVED" }).join(), /factorResult = "APPROVED" is not one of/);
      assert.match(checkResponse(document, "POST", verify.path, 201, { ...verifyBody, _embedded: { challenge: { correctAnswer: "72" } } }).join(), /correctAnswer is string, declared integer/);
      assert.match(checkResponse(document, "POST", verify.path, 201, { ...verifyBody, factorResult: "SUCCESS" }).join(), /factorResult = "SUCCESS" is not one of WAITING/);
      assert.match(checkResponse(document, "POST", verify.path, 201, { ...verifyBody, expiresAt: "tomorrow" }).join(), /expiresAt = "tomorrow" is not a valid date-time/);
      assert.match(checkExampleShape(document, "GET", poll.path, 200, { ...pollBody, _link: pollBody._links }).join(), /closest is "WAITING \(with number matching challenge\)".*extra \[_link/);
      assert.match(checkExampleShape(document, "GET", poll.path, 200, { factorResult: "REJECTED" }).join(), /shape of no documented example/);
      assert.match(checkResponse(document, "GET", poll.path, 418, pollBody).join(), /declares no response 418/);
    });
  },
);
