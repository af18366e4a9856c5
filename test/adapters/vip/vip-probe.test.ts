import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { freePort } from "../../helpers/net.js";
import { startVipKit, type VipKit } from "./vip-kit.js";

describe("Symantec VIP: the connection test", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit();
  });
  after(() => kit.close());
  beforeEach(() => kit.fake.reset());

  it("asks the query service for its time over mutual TLS, and concerns no user", async () => {
    const result = await kit.provider().probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, /^VIP accepted the VIP certificate and its query service answered \(server time \d{4}-\d\d-\d\dT[\d:.]+Z\)\. The authentication service \(pushes, codes\) is not called/);
    assert.deepEqual(kit.fake.requests.map((r) => r.operation), ["GetServerTimeRequest"]);
    assert.equal(kit.fake.requests[0]?.clientCertificate, "VIP certificate for Verity tests");
    assert.ok(!/userId/.test(kit.fake.requests[0]?.body ?? ""));
  });

  it("says a certificate VIP refuses at the TLS layer is the wrong one, and where to get the right one", async () => {
    const rogue = kit.fake.pki.rogueClient;
    const result = await kit.provider({ certificate: rogue.cert, privateKey: rogue.key }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /refused the TLS connection: the VIP certificate was not accepted\. An administrator must check that `certificate` and `privateKey` hold the current VIP certificate exported from VIP Manager/);
    assert.ok(!result.detail.includes("PRIVATE KEY"));
  });

  it("says when VIP refuses the certificate's account", async () => {
    kit.fake.failNext({ kind: "status", status: "6001", statusMessage: "Authentication failed" }, { operation: "GetServerTimeRequest" });
    const result = await kit.provider().probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /VIP refused the VIP certificate's account \(6001: Authentication failed\)\. An administrator must check in VIP Manager/);
  });

  it("says when Verity does not trust the server", async () => {
    const result = await kit.provider({ ca: undefined }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /Verity does not trust the TLS certificate of 127\.0\.0\.1:\d+\. For a private or test endpoint, add its CA under `ca`/);
  });

  it("says VIP cannot be reached", async () => {
    const port = await freePort();
    const result = await kit.provider({ queryUrl: `https://127.0.0.1:${port}/vipuserservices/QueryService_1_7` }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^VIP could not be reached to answer a connection test \(Symantec VIP could not be reached \(ECONNREFUSED\)\.\)\. Try again shortly\.$/);
  });

  it("warns of a VIP certificate that expires within 30 days", async () => {
    const vip = kit.provider();
    const expires = new Date(new X509Certificate(kit.fake.pki.client.cert).validTo);
    kit.clock.set(new Date(expires.getTime() - 10 * 86_400_000));
    const result = await vip.probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, new RegExp(`It expires on ${expires.toISOString().slice(0, 10)}: renew it in VIP Manager before then\\.$`));
  });
});
