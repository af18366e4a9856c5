import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { allowedKeyUrl, createCallbackKeySource } from "../../../src/adapters/ticketing/connectwise/connectwise-callback-key.js";
import { createOutboundClient } from "../../../src/adapters/http/outbound.js";
import { createFakeClock } from "../../helpers/clock.js";
import { countingServer } from "./cw-test-setup.js";

describe("ConnectWise key_url allow-list", () => {
  const cases: [string, boolean][] = [
    ["https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=abc", true],
    ["https://API-EU.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=abc", true],
    ["https://sandbox-au.myconnectwise.net/x", true],
    ["http://api-na.myconnectwise.net/x", false],
    ["https://api-na.myconnectwise.net:8443/x", false],
    ["https://api-na.myconnectwise.net.evil.example/x", false],
    ["https://evilmyconnectwise.net/x", false],
    ["https://user:pw@api-na.myconnectwise.net/x", false],
    ["https://169.254.169.254/latest/meta-data", false],
    ["https://10.0.0.5/x", false],
    ["https://[::1]/x", false],
    ["file:///etc/passwd", false],
    ["not a url", false],
  ];
  for (const [url, allowed] of cases) {
    it(`${allowed ? "allows" : "refuses"} ${url}`, () => {
      assert.equal(allowedKeyUrl(url, []) !== undefined, allowed);
    });
  }

  it("allows a listed origin exactly, not its neighbours", () => {
    assert.ok(allowedKeyUrl("http://127.0.0.1:8080/k", ["http://127.0.0.1:8080"]) !== undefined);
    assert.equal(allowedKeyUrl("http://127.0.0.1:8081/k", ["http://127.0.0.1:8080"]), undefined);
    assert.equal(allowedKeyUrl(42, []), undefined);
  });
});

describe("ConnectWise callback keys: a budget for fetches", () => {
  it("fetches at most 30 new key_urls a minute, then refuses without fetching", async () => {
    const keyServer = await countingServer("127.0.0.1");
    const http = createOutboundClient({ name: "key", maxRetries: 0 });
    const clock = createFakeClock();
    const keys = createCallbackKeySource({ http, clock, log: pino({ level: "silent" }), cacheSeconds: 3600 });
    try {
      for (let i = 0; i < 35; i += 1) await keys.key(new URL(`${keyServer.url}/key?id=${i}`));
      assert.equal(keyServer.hits(), 30);
      clock.advance(61_000);
      assert.ok((await keys.key(new URL(`${keyServer.url}/key?id=new`))) !== undefined);
      assert.equal(keyServer.hits(), 31);
    } finally {
      await http.close();
      await new Promise<void>((resolve) => keyServer.server.close(() => resolve()));
    }
  });
});
