import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { linkProblem } from "../../../src/adapters/push/okta/okta-transaction.js";
import { JANE, pushRequest, shown, startOktaKit, type OktaKit } from "./okta-kit.js";

/** A server that must never be called: it counts what reaches it. */
async function startTrap(): Promise<{ server: Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method ?? ""} ${req.url ?? ""} ${req.headers.authorization ?? ""}`);
    res.writeHead(200, { "content-type": "application/json" }).end('{"factorResult":"SUCCESS"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

describe("Okta _links are followed only on the configured org (no SSRF)", () => {
  let trap: Awaited<ReturnType<typeof startTrap>>;
  let kit: OktaKit;
  let tampered: OktaKit;
  before(async () => {
    trap = await startTrap();
    kit = await startOktaKit();
    tampered = await startOktaKit({ linkBaseUrl: trap.base });
  });
  after(async () => {
    await kit.close();
    await tampered.close();
    trap.server.closeAllConnections();
    await new Promise<void>((resolve) => trap.server.close(() => resolve()));
  });

  it("refuses a push whose poll link points at another host, and calls nothing there", async () => {
    const okta = tampered.provider();
    await assert.rejects(okta.startPush(pushRequest(JANE)), (e) => {
      assert.match(shown(e), /PROVIDER_ERROR .*will not follow Okta's poll link: it points at http:\/\/127\.0\.0\.1:\d+, not the configured org/);
      assert.match(shown(e), /custom domain, set orgUrl/);
      return true;
    });
    assert.deepEqual(trap.hits, []);
  });

  it("refuses stored references whose links were tampered with, before any request", async () => {
    const okta = kit.provider();
    const ref = JSON.parse((await okta.startPush(pushRequest(JANE))).transactionRef) as { poll: string; cancel: string; userId: string };
    const onTrap = JSON.stringify({ ...ref, poll: ref.poll.replace(kit.fake.baseUrl, trap.base), cancel: ref.cancel.replace(kit.fake.baseUrl, trap.base) });
    await assert.rejects(okta.pollPush(onTrap), (e) => /PROVIDER_ERROR .*poll link: it points at/.test(shown(e)));
    await assert.rejects(okta.cancelPush(onTrap), (e) => /PROVIDER_ERROR .*cancel link: it points at/.test(shown(e)));
    const otherUser = JSON.stringify({ ...ref, poll: ref.poll.replace(ref.userId, kit.fake.user("sam.patel@acme.example").id) });
    await assert.rejects(okta.pollPush(otherUser), (e) => /names another user or factor/.test(shown(e)));
    await assert.rejects(okta.pollPush("not a reference"), (e) => /PROVIDER_ERROR .*not written by the Okta provider/.test(shown(e)));
    assert.deepEqual(trap.hits, []);
  });

  it("accepts only same-origin transaction links of the challenged user and factor", () => {
    const org = "https://acme.okta.com";
    const ids = { userId: "00u1", factorId: "opf1" };
    const ok = `${org}/api/v1/users/00u1/factors/opf1/transactions/v2mst.abc-_1`;
    assert.equal(linkProblem(ok, org, ids), null);
    assert.equal(linkProblem(`${org}/api/v1/users/00u1/factors/opf1/transactions/mst1eiHghhPxf0yhp0g?x=1`, org, ids), null);
    const refused: [string, RegExp][] = [
      ["https://evil.example/api/v1/users/00u1/factors/opf1/transactions/t", /points at https:\/\/evil\.example/],
      ["http://acme.okta.com/api/v1/users/00u1/factors/opf1/transactions/t", /points at http:\/\/acme\.okta\.com/],
      ["https://acme.okta.com:8443/api/v1/users/00u1/factors/opf1/transactions/t", /points at/],
      ["https://acme.okta.com.evil.example/api/v1/users/00u1/factors/opf1/transactions/t", /points at/],
      ["https://admin:pw@acme.okta.com/api/v1/users/00u1/factors/opf1/transactions/t", /carries credentials/],
      [`${org}/api/v1/users/00u1/factors/opf1/verify`, /not a factor transaction/],
      [`${org}/api/v1/users/00u1/factors/opf1/transactions/t/extra`, /not a factor transaction/],
      [`${org}/api/v1/users/00u1/factors/opf1/transactions/t/../../../../roles`, /not a factor transaction/],
      [`${org}/api/v1/users/00u1/factors/opf1/transactions/`, /not a factor transaction/],
      [`${org}/api/v1/users/00u2/factors/opf1/transactions/t`, /another user or factor/],
      ["/api/v1/users/00u1/factors/opf1/transactions/t", /not an absolute URL/],
    ];
    for (const [href, problem] of refused) assert.match(String(linkProblem(href, org, ids)), problem, href);
  });
});
