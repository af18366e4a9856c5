import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isVerityError } from "../../src/domain/errors.js";
import { deriveKeyRing, hashDestination } from "../../src/domain/keys.js";
import { generateCode, hashCode, hashesEqual, normaliseCodeInput } from "../../src/domain/otp.js";

describe("one-time codes", () => {
  it("generates the configured number of digits, 6 to 10", () => {
    for (let length = 6; length <= 10; length += 1) {
      for (let i = 0; i < 50; i += 1) assert.match(generateCode(length), new RegExp(`^\\d{${length}}$`));
    }
    assert.throws(() => generateCode(5), RangeError);
    assert.throws(() => generateCode(11), RangeError);
  });

  it("keeps leading zeros and covers the whole range", () => {
    const codes = Array.from({ length: 20_000 }, () => generateCode(6));
    assert.ok(codes.some((c) => c.startsWith("0")), "some codes start with 0 (about 10% should)");
    const firstDigits = new Set(codes.map((c) => c[0]));
    assert.equal(firstDigits.size, 10);
    assert.ok(new Set(codes).size > 19_000, "codes are not repeating");
  });

  it("hashes bound to the verification: the same code under another id does not match", () => {
    const key = randomBytes(32);
    const a = hashCode(key, "verification-a", "123456");
    assert.equal(hashCode(key, "verification-a", "123456"), a);
    assert.notEqual(hashCode(key, "verification-b", "123456"), a);
    assert.notEqual(hashCode(randomBytes(32), "verification-a", "123456"), a);
    assert.ok(!a.includes("123456"));
    assert.ok(hashesEqual(a, hashCode(key, "verification-a", "123456")));
    assert.ok(!hashesEqual(a, hashCode(key, "verification-a", "123457")));
    assert.ok(!hashesEqual(a, a.slice(1)));
  });

  it("accepts digits with spaces or hyphens between groups", () => {
    assert.equal(normaliseCodeInput("012345", 6), "012345");
    assert.equal(normaliseCodeInput(" 012 345 ", 6), "012345");
    assert.equal(normaliseCodeInput("012-345", 6), "012345");
  });

  it("refuses the SECURITY.md bad inputs with INVALID_CODE_FORMAT", () => {
    const bad: unknown[] = [
      12345,
      12_345_6,
      "12345",
      "1234567",
      "",
      null,
      undefined,
      ["123456"],
      { code: "123456" },
      "１２３４５６",
      "١٢٣٤٥٦",
      "12345a",
      "123456' OR 1=1 --",
      "<b>123456</b>",
      "x".repeat(10_000),
      "1".repeat(65),
    ];
    for (const input of bad) {
      assert.throws(
        () => normaliseCodeInput(input, 6),
        (e: unknown) => isVerityError(e) && e.code === "INVALID_CODE_FORMAT" && e.status === 422,
        `input ${JSON.stringify(input)?.slice(0, 30)}`,
      );
    }
  });

  it("never throws anything but INVALID_CODE_FORMAT, whatever the input (property)", () => {
    fc.assert(
      fc.property(fc.anything(), fc.integer({ min: 6, max: 10 }), (input, length) => {
        try {
          const out = normaliseCodeInput(input, length);
          return /^\d+$/.test(out) && out.length === length;
        } catch (error) {
          return isVerityError(error) && error.code === "INVALID_CODE_FORMAT";
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("derives separate keys per purpose and hashes destinations case-insensitively", () => {
    const ring = deriveKeyRing(Buffer.from("a secret of at least thirty-two characters"));
    assert.notDeepEqual(ring.code, ring.destination);
    assert.equal(hashDestination(ring, "Jane@Example.com"), hashDestination(ring, "jane@example.com"));
    assert.notEqual(hashDestination(ring, "+447700900001"), hashDestination(ring, "+447700900002"));
  });
});
