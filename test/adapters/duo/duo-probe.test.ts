import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../helpers/net.js";
import { startDuoKit, type DuoKit } from "./duo-kit.js";

describe("Duo: the connection test", () => {
  let kit: DuoKit;
  before(async () => {
    kit = await startDuoKit();
  });
  after(() => kit.close());

  it("makes the signed /auth/v2/check call, which sends nothing", async () => {
    const before = kit.fake.requests.length;
    const result = await kit.provider().probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.equal(result.detail, `Duo accepted the integration key and the signed request for ${kit.fake.apiHost} (/auth/v2/check). Nothing was sent.`);
    assert.deepEqual(kit.fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), ["GET /auth/v2/check"]);
  });

  it("says the keys or the clock are wrong, without repeating the secret key", async () => {
    const result = await kit.provider({ secretKey: "x".repeat(40) }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Duo refused Verity's signed request\. An administrator must check the integration key, secret key, API host, and the server clock.*\(Duo error 40103\)$/);
    assert.ok(!result.detail.includes("x".repeat(40)) && !result.detail.includes(kit.fake.secretKey));
  });

  it("warns of a clock far enough off that Duo will soon refuse it", async () => {
    const ahead = { now: () => new Date(Date.now() + 120_000) };
    const result = await kit.provider({}, { clock: ahead }).probe?.();
    assert.equal(result?.ok, true, result?.detail);
    assert.match(result.detail, /This server's clock is 1[12]\d s ahead of Duo's: fix it \(NTP\)/);
  });

  it("says Duo cannot be reached", async () => {
    const result = await kit.provider({ baseUrl: `http://127.0.0.1:${await freePort()}` }).probe?.();
    assert.equal(result?.ok, false);
    assert.match(result.detail, /^Verity could not check the credentials: Duo could not be reached \(ECONNREFUSED\)\. Try again shortly\.$/);
  });
});
