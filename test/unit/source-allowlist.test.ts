import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSourceAllowlist, parseSourceRange } from "../../src/domain/source-allowlist.js";

describe("webhook source allowlist", () => {
  it("parses addresses and CIDR ranges, and refuses anything else", () => {
    assert.deepEqual(parseSourceRange("203.0.113.0/24"), { address: "203.0.113.0", prefix: 24, family: "ipv4" });
    assert.deepEqual(parseSourceRange("198.51.100.7"), { address: "198.51.100.7", prefix: 32, family: "ipv4" });
    assert.deepEqual(parseSourceRange("2001:db8::/32"), { address: "2001:db8::", prefix: 32, family: "ipv6" });
    for (const bad of ["", "halo.example.com", "203.0.113.0/33", "203.0.113.0/", "203.0.113.0/-1", "203.0.113.0/24/8", "2001:db8::/129", "256.1.1.1", "10.0.0.0/ 8", "*"]) {
      assert.equal(parseSourceRange(bad), undefined, bad);
    }
  });

  it("matches inside the ranges only, IPv4 seen through an IPv6 socket included", () => {
    const allowed = createSourceAllowlist(["203.0.113.0/24", "198.51.100.7", "2001:db8::/32"]);
    for (const yes of ["203.0.113.0", "203.0.113.255", "::ffff:203.0.113.9", "198.51.100.7", "2001:db8:ffff::1"]) assert.equal(allowed(yes), true, yes);
    for (const no of ["203.0.114.1", "198.51.100.8", "2001:db9::1", "::1", "127.0.0.1", "", "not-an-ip", undefined]) assert.equal(allowed(no), false, String(no));
  });

  it("refuses to build from an entry configuration should have rejected", () => {
    assert.throws(() => createSourceAllowlist(["10.0.0.0/8", "intranet"]), /not an IP address or CIDR range: intranet/);
  });
});
