import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isVerityError } from "../../src/domain/errors.js";
import { maskEmail, maskPhone } from "../../src/domain/masking.js";
import { normalisePhone } from "../../src/domain/phone.js";

describe("phone numbers", () => {
  it("normalises directory forms to E.164", () => {
    const cases: [string, string][] = [
      ["+44 7700 900123", "+447700900123"],
      ["+1 5555551234", "+15555551234"],
      ["+1 5555551234x123", "+15555551234"],
      ["+1 (555) 010-0000 x12", "+15550100000"],
      ["+44 (0) 7700 900123", "+447700900123"],
      ["+49 151 12345678", "+4915112345678"],
      ["+61 412 345 678", "+61412345678"],
    ];
    for (const [input, e164] of cases) assert.equal(normalisePhone(input).e164, e164, input);
  });

  it("uses the default country only when the number has no +", () => {
    assert.equal(normalisePhone("07700 900123", "GB").e164, "+447700900123");
    assert.equal(normalisePhone("+1 202 555 0104", "GB").e164, "+12025550104");
  });

  it("refuses what is not exactly one possible number", () => {
    const bad = [
      "",
      "   ",
      "447700900123",
      "+44 770",
      "+4477009001231234567",
      "+999 1234567",
      "+44 7700 900123 / +44 7700 900456",
      "tel:+447700900123",
      "call me",
      "+".padEnd(60, "1"),
    ];
    for (const input of bad) {
      assert.throws(
        () => normalisePhone(input),
        (e: unknown) => isVerityError(e) && e.code === "INVALID_PHONE_NUMBER",
        JSON.stringify(input),
      );
    }
  });

  it("never echoes a whole number in its error message", () => {
    try {
      normalisePhone("+44 7700 900123 / +44 7700 900456");
      assert.fail("should throw");
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.ok(!/7700\s?900/.test(error.message), error.message);
    }
  });

  it("only ever returns E.164 or throws INVALID_PHONE_NUMBER (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        try {
          return /^\+\d{2,15}$/.test(normalisePhone(text).e164);
        } catch (error) {
          return isVerityError(error) && error.code === "INVALID_PHONE_NUMBER";
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^\+[0-9 ()-]{4,30}$/), (text) => {
        try {
          return /^\+\d{2,15}$/.test(normalisePhone(text).e164);
        } catch (error) {
          return isVerityError(error) && error.code === "INVALID_PHONE_NUMBER";
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("masking", () => {
  it("shows the country code, the national layout and the last four digits only", () => {
    assert.equal(maskPhone(normalisePhone("+44 7700 900123")), "+44 ••••• ••0123");
    assert.equal(maskPhone(normalisePhone("+1 202 555 0104")), "+1 (•••) •••-0104");
    assert.equal(maskPhone(normalisePhone("+1 5555551234x123")), "+1 (•••) •••-1234");
  });

  it("never leaves more than four digits of the subscriber number visible", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+44 7[0-9]{3} [0-9]{6}$/), (text) => {
        const masked = maskPhone(normalisePhone(text));
        const visible = masked.replace(/^\+44 /, "").replace(/\D/g, "");
        return visible.length === 4 && normalisePhone(text).e164.endsWith(visible);
      }),
      { numRuns: 500 },
    );
  });

  it("masks emails to the first letters and the top-level domain", () => {
    assert.equal(maskEmail("jane.doe@example.net"), "j•••@e••••••.net");
    assert.equal(maskEmail("a@b.co"), "a•••@b•••.co");
    assert.equal(maskEmail("not-an-email"), "•••");
    assert.ok(!maskEmail("jane.doe@example.net").includes("jane"));
  });
});
