import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { lookupView, searchView } from "../../src/http/api-schemas.js";
import { ADMIN } from "../helpers/runtime.js";
import { CONTOSO, PEOPLE, startFlow, type Flow } from "./halopsa-flow.js";

/**
 * The verify screen's search box against a Verity tenant backed by Microsoft Entra ID: results
 * as the technician types come from one Graph $search (never the callers' methods), and the
 * caller they pick is then looked up in full.
 */
for (const catchAll of [false, true]) {
  describe(`GET /api/v1/directory/search with an Entra ${catchAll ? "catch-all (*) tenant" : "tenant"}`, () => {
    let f: Flow;
    let token: string;
    before(async () => {
      f = await startFlow({ catchAll });
      token = (await f.runtime.tokens.create({ name: "Search Tech", role: "technician", tenants: null }, ADMIN)).token;
    });
    after(() => f.close());

    const get = async (path: string) => {
      const response = await fetch(`${f.base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as unknown;
    };
    const search = async (q: string) => searchView.parse(await get(`/api/v1/directory/search?q=${encodeURIComponent(q)}`));
    const tenant = catchAll ? { id: "clients", name: "our clients' service desk" } : { id: "contoso", name: "Contoso" };

    if (!catchAll) {
      it("finds callers by the start of their name with one Graph $search, reading none of their methods", async () => {
        f.entra.resetStats();
        const result = await search("jan");
        assert.deepEqual(result, {
          matches: [{ tenant, id: `${CONTOSO}:${PEOPLE.jane.id}`, displayName: "Jane Doe", upn: result.matches[0]?.upn ?? "" }],
          unavailable: [],
        });
        assert.ok(!(result.matches[0]?.upn ?? "").includes("jane.doe@"), "the UPN is masked");
        const graph = f.entra.requests.filter((r) => r.path.startsWith("/graph/"));
        assert.ok(graph.length >= 1 && graph.length <= 3, `${graph.length} Graph reads`);
        assert.ok(graph.every((r) => r.path === "/graph/v1.0/users" || r.path === "/graph/v1.0/organization"));
        const searched = graph.find((r) => r.query.$search !== undefined);
        assert.equal(searched?.query.$search, '"displayName:jan" OR "mail:jan" OR "userPrincipalName:jan"');
        assert.equal(searched?.consistencyLevel, "eventual");
      });

      it("matches each word typed against the start of a word of the name", async () => {
        assert.deepEqual((await search("sm")).matches.map((m) => m.displayName), ["Sam Smith"]);
        assert.deepEqual((await search("no ph")).matches.map((m) => m.displayName), ["No Phone"]);
      });
    } else {
      it("says to type the caller's email rather than guessing a client tenant from a name", async () => {
        f.entra.resetStats();
        const result = await search("Jane");
        assert.deepEqual(result.matches, []);
        assert.deepEqual(result.unavailable, [
          { tenant: tenant.name, reason: "This Microsoft Entra directory serves every client tenant (*); type the caller's email to search a client tenant." },
        ]);
        assert.equal(f.entra.requests.length, 0);
      });
    }

    it("finds a caller by email, and the pick is looked up in full, methods and all", async () => {
      const result = await search(PEOPLE.jane.upn);
      assert.deepEqual(result.unavailable, []);
      const [jane] = result.matches;
      assert.equal(jane?.id, `${CONTOSO}:${PEOPLE.jane.id}`);
      f.entra.resetStats();
      const card = lookupView.parse(await get(`/api/v1/directory/users/${encodeURIComponent(jane?.id ?? "")}?tenant=${tenant.id}`));
      assert.equal(card.user.displayName, "Jane Doe");
      assert.deepEqual(
        card.factors.map((x) => x.type),
        ["mobile", "alternateMobile", "office"],
      );
      assert.equal(f.entra.count(`/graph/v1.0/users/${PEOPLE.jane.id}/authentication/phoneMethods`), 1);
    });

    it("refuses text Graph cannot search for as the tenant's reason, not as a failed search", async () => {
      const result = await search("Smith & Co");
      assert.deepEqual(result.matches, []);
      assert.equal(result.unavailable[0]?.tenant, tenant.name);
      assert.match(result.unavailable[0]?.reason ?? "", /cannot take '&'/);
    });
  });
}
