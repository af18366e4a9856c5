import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { RecordedOktaRequest } from "../fakes/okta/fake-okta.js";
import { IDS, startOktaDirectoryKit, type OktaDirectoryKit } from "../adapters/okta/okta-directory-kit.js";
import { describeUnless } from "../helpers/skip.js";
import { sharedContract } from "./contract-files.js";
import { checkRequest, checkResponse, findOperation, loadOpenApi, type OpenApiDocument } from "./openapi-check.js";

const contract = sharedContract("okta/okta-factors.openapi.yaml");
const spec = loadOpenApi(contract.path);
const isApi = (r: RecordedOktaRequest) => r.path.startsWith("/api/v1/");

/**
 * The Okta directory's reads against the shared subset of Okta's Management API. The subset holds
 * `GET /api/v1/users/{id}` and the factor operations; the user list (`search`), a user's groups
 * and role assignments are outside it, so those are named here rather than checked.
 */
describeUnless(
  "Okta directory reads (okta-management-openapi-spec subset)",
  spec === null ? `the Okta contract is not at ${contract.path} (the shared/contracts folder sits beside the repository in CI)` : false,
  () => {
    const document = spec as OpenApiDocument;
    let kit: OktaDirectoryKit;
    before(async () => {
      kit = await startOktaDirectoryKit();
      const ssws = kit.directory();
      const oauth = kit.directory({ auth: kit.oauth() });
      for (const query of [IDS.jane, "jane.doe@acme.example", "ada@acme.example", "ghost@acme.example", "lou.locked@acme.example"]) await ssws.findUser(query);
      await oauth.findUser(IDS.ada);
      await ssws.search("chris", 3);
    });
    after(() => kit.close());

    it("reads only the operations it is known to, naming those outside the subset", () => {
      const operations = new Set(
        kit.fake.requests.filter(isApi).map((r) => {
          const template = findOperation(document, r.method, r.path)?.template;
          if (template !== undefined) return `${r.method} ${template}`;
          return `${r.method} ${r.path.replace(/\/api\/v1\/users\/[^/]+\//, "/api/v1/users/{id}/")} (outside the subset)`;
        }),
      );
      assert.deepEqual([...operations].sort(), [
        "GET /api/v1/users (outside the subset)",
        "GET /api/v1/users/{id}",
        "GET /api/v1/users/{id}/groups (outside the subset)",
        "GET /api/v1/users/{id}/roles (outside the subset)",
        "GET /api/v1/users/{userId}/factors",
      ]);
    });

    it("sends the user and factor reads as the spec declares them", () => {
      const inSubset = kit.fake.requests.filter((r) => isApi(r) && findOperation(document, r.method, r.path) !== undefined);
      assert.ok(inSubset.length >= 10);
      for (const r of inSubset) {
        assert.deepEqual(checkRequest(document, { method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.rawBody }), [], `${r.method} ${r.path}`);
      }
    });

    it("reads answers shaped as the spec's schemas (users of every status, factors of every type, 404)", () => {
      for (const r of kit.fake.requests.filter((x) => isApi(x) && x.response !== null && findOperation(document, x.method, x.path) !== undefined)) {
        const { status, body } = r.response ?? { status: 0, body: null };
        assert.deepEqual(checkResponse(document, r.method, r.path, status, body), [], `${r.method} ${r.path} ${status}`);
      }
    });

    it("needs no scope beyond okta.users.read for the operations the subset declares", () => {
      let checked = 0;
      for (const r of kit.fake.requests.filter((x) => isApi(x) && /^Bearer /.test(String(x.headers.authorization)))) {
        const scopes = findOperation(document, r.method, r.path)?.operation.security?.find((s) => s.oauth2 !== undefined)?.oauth2;
        if (scopes === undefined) continue;
        checked += 1;
        assert.ok(scopes.every((s) => s === "okta.users.read"), `${r.method} ${r.path} needs ${scopes.join()}`);
      }
      assert.ok(checked >= 2, "the service app's user and factor reads were checked");
    });
  },
);
