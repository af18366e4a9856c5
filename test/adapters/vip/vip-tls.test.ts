import assert from "node:assert/strict";
import { connect } from "node:tls";
import { after, before, beforeEach, describe, it } from "node:test";
import { vipConfigSchema } from "../../../src/adapters/push/vip/vip-config.js";
import { probeTls } from "../../../src/adapters/push/vip/vip-tls-probe.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { startFakeVip, type FakeVip } from "../../fakes/vip/fake-vip.js";
import { pushRequest, shown, startVipKit, type VipKit } from "./vip-kit.js";

const authFailure = (text: RegExp) => (error: unknown) => {
  assert.ok(isVerityError(error), String(error));
  assert.equal(error.code, "UPSTREAM_AUTH_FAILED", shown(error));
  assert.match(error.message, text);
  return true;
};

/** What a bare TLS client sees from the fake: the handshake error code, or "accepted". */
function handshake(fake: FakeVip, material: { cert?: string; key?: string }): Promise<string> {
  const url = new URL(fake.baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: fake.pki.ca.cert, ...material });
    socket.on("secureConnect", () => socket.write("POST / HTTP/1.1\r\nHost: fake\r\nContent-Length: 0\r\n\r\n"));
    socket.on("data", () => {
      socket.destroy();
      resolve("accepted");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    socket.on("close", () => resolve("closed"));
  });
}

for (const tlsMaxVersion of ["TLSv1.3", "TLSv1.2"] as const) {
  describe(`VIP mutual TLS (${tlsMaxVersion})`, () => {
    let kit: VipKit;
    before(async () => {
      kit = await startVipKit({ tlsMaxVersion });
    });
    beforeEach(() => kit.fake.reset());
    after(() => kit.close());

    it("the fake refuses a client without a certificate during the handshake", async () => {
      const outcome = await handshake(kit.fake, {});
      assert.notEqual(outcome, "accepted");
      assert.equal(kit.fake.requests.length, 0);
    });

    it("the fake refuses a certificate from another CA, and accepts the VIP certificate", async () => {
      assert.notEqual(await handshake(kit.fake, kit.fake.pki.rogueClient), "accepted");
      assert.equal(await handshake(kit.fake, kit.fake.pki.client), "accepted");
    });

    it("reports the wrong VIP certificate as UPSTREAM_AUTH_FAILED that says what to fix", async () => {
      const vip = kit.provider({ certificate: kit.fake.pki.rogueClient.cert, privateKey: kit.fake.pki.rogueClient.key });
      await assert.rejects(vip.startPush(pushRequest()), authFailure(/refused the TLS connection: the VIP certificate was not accepted.*VIP Manager/s));
      await assert.rejects(vip.describeUser({ providerUserId: "jdoe", user: pushRequest().user, tenantId: "acme" }), authFailure(/VIP certificate/));
      assert.equal(kit.fake.requests.length, 0);
    });

    it("the probe tells an accepted certificate from a refused one", async () => {
      const url = new URL(kit.fake.authUrl);
      const ca = [kit.fake.pki.ca.cert];
      assert.equal(await probeTls(url, { ...kit.fake.pki.client, ca }, 300), "accepted");
      assert.equal(await probeTls(url, { ...kit.fake.pki.rogueClient, ca }, 300), "refused");
      assert.equal(await probeTls(url, { ...kit.fake.pki.client, ca: [kit.fake.pki.otherCa.cert] }, 300), "untrusted-server");
    });
  });
}

describe("VIP TLS configuration", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  it("does not trust a server whose CA is not configured, and says to set `ca`", async () => {
    await assert.rejects(kit.provider({ ca: kit.fake.pki.otherCa.cert }).startPush(pushRequest()), authFailure(/does not trust the TLS certificate.*`ca`/s));
    await assert.rejects(kit.provider({ ca: undefined }).startPush(pushRequest()), authFailure(/does not trust/));
    assert.equal(kit.fake.requests.length, 0);
  });

  it("works with a passphrase-protected private key", async () => {
    const { key, passphrase } = kit.fake.pki.clientEncrypted;
    const vip = kit.provider({ privateKey: key, passphrase });
    const started = await vip.startPush(pushRequest());
    assert.ok(started.transactionRef.length > 0);
    assert.equal(kit.fake.requests[0]?.clientCertificate, "VIP certificate for Verity tests");
  });

  it("refuses an encrypted key without its passphrase, or with the wrong one, when the configuration is read", () => {
    const base = { kind: "vip", certificate: kit.fake.pki.client.cert, privateKey: kit.fake.pki.clientEncrypted.key };
    const missing = vipConfigSchema.safeParse(base);
    assert.equal(missing.success, false);
    assert.match(JSON.stringify(missing.error?.issues), /if it is encrypted, set passphrase/);
    const wrong = vipConfigSchema.safeParse({ ...base, passphrase: "not it" });
    assert.equal(wrong.success, false);
    assert.match(JSON.stringify(wrong.error?.issues), /passphrase decrypts/);
    assert.ok(!JSON.stringify(wrong.error?.issues).includes("not it"));
  });

  it("reports an unreachable VIP as PROVIDER_UNAVAILABLE, not as a certificate problem", async () => {
    const closed = await startFakeVip({ pki: kit.fake.pki });
    const url = closed.authUrl;
    await closed.close();
    await assert.rejects(kit.provider({ authUrl: url }).startPush(pushRequest()), (error: unknown) => {
      assert.ok(isVerityError(error));
      assert.equal(error.code, "PROVIDER_UNAVAILABLE");
      assert.match(error.message, /could not be reached.*Nothing was sent/);
      return true;
    });
  });

  it("warns when the VIP certificate is about to expire", () => {
    kit.clock.set(new Date(Date.now() + 390 * 86_400_000));
    kit.provider();
    kit.clock.set(new Date());
    assert.ok(kit.logs.some((l) => l.includes("the VIP certificate expires within 30 days")));
    assert.ok(!kit.logs.some((l) => l.includes("PRIVATE KEY")));
  });
});
