import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { seal, unseal } from "../../src/domain/sealed.js";

describe("sealed secrets (AES-256-GCM)", () => {
  const key = randomBytes(32);

  it("round-trips, with a fresh IV each time and no plaintext in the sealed form", () => {
    const a = seal(key, "JBSWY3DPEHPK3PXP", "totp:user-1");
    const b = seal(key, "JBSWY3DPEHPK3PXP", "totp:user-1");
    assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes("JBSWY3DP"));
    assert.equal(unseal(key, a, "totp:user-1"), "JBSWY3DPEHPK3PXP");
    assert.equal(unseal(key, seal(key, "", "c"), "c"), "");
  });

  it("refuses a value sealed for another context (one user's secret copied onto another)", () => {
    assert.equal(unseal(key, seal(key, "secret", "totp:user-1"), "totp:user-2"), null);
  });

  it("refuses another key (security.hashKey changed)", () => {
    assert.equal(unseal(randomBytes(32), seal(key, "secret", "ctx"), "ctx"), null);
  });

  it("refuses any change to IV, body or tag, and malformed input", () => {
    const sealed = seal(key, "a secret of some length", "ctx");
    const parts = sealed.split(".");
    for (let i = 1; i < 4; i += 1) {
      const bytes = Buffer.from(parts[i] ?? "", "base64url");
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      const changed = [...parts];
      changed[i] = bytes.toString("base64url");
      assert.equal(unseal(key, changed.join("."), "ctx"), null, `part ${i}`);
    }
    for (const bad of ["", "v1", "v1.a.b", "v2." + parts.slice(1).join(".")]) {
      assert.equal(unseal(key, bad, "ctx"), null, bad);
    }
    assert.equal(unseal(key, [parts[0], parts[1], parts[2], ""].join("."), "ctx"), null, "no tag");
  });

  it("refuses a tag cut short (GCM would check only the bytes given)", () => {
    const [v, iv, body, tag] = seal(key, "secret", "ctx").split(".");
    const short = Buffer.from(tag ?? "", "base64url").subarray(0, 4).toString("base64url");
    assert.equal(unseal(key, [v, iv, body, short].join("."), "ctx"), null);
  });
});
