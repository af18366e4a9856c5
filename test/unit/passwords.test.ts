import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, passwordProblem, verifyPassword } from "../../src/domain/passwords.js";

describe("passwords (scrypt)", () => {
  it("stores scrypt with its parameters and a fresh salt, never the password", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    assert.match(a, /^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b, "each hash has its own salt");
    assert.ok(!a.includes("correct"));
  });

  it("accepts the password and refuses any other", async () => {
    const stored = await hashPassword("correct horse battery");
    assert.equal(await verifyPassword("correct horse battery", stored), true);
    assert.equal(await verifyPassword("correct horse batterY", stored), false);
    assert.equal(await verifyPassword("", stored), false);
  });

  it("compares Unicode passwords in NFKC form, so the same text typed two ways matches", async () => {
    const stored = await hashPassword("caf\u00e9 au lait 42!");
    assert.equal(await verifyPassword("cafe\u0301 au lait 42!", stored), true);
  });

  it("reads hashes made with other cost settings", async () => {
    const stored = await hashPassword("correct horse battery");
    const [, , , , salt] = stored.split("$");
    const { scryptSync } = await import("node:crypto");
    const cheaper = ["scrypt", 1024, 8, 1, salt, scryptSync("correct horse battery", Buffer.from(salt ?? "", "base64url"), 32, { N: 1024, r: 8, p: 1 }).toString("base64url")].join("$");
    assert.equal(await verifyPassword("correct horse battery", cheaper), true);
  });

  it("treats a malformed or hostile hash as a mismatch, never an error", async () => {
    for (const stored of ["", "plain", "bcrypt$2b$10$abc", "scrypt$x$8$1$AAAA$AAAA", "scrypt$0$8$1$AAAA$AAAA", "scrypt$16$8$1$AAAA", `scrypt$${2 ** 24}$8$1$AAAA$AAAA`, "scrypt$1024$8$1$AAAA$"]) {
      assert.equal(await verifyPassword("anything at all", stored), false, stored);
    }
  });

  it("asks for 12 to 200 characters that are not all one or two characters", () => {
    assert.match(passwordProblem("short") ?? "", /at least 12/);
    assert.match(passwordProblem("x".repeat(201)) ?? "", /at most 200/);
    assert.match(passwordProblem("abababababab") ?? "", /repeats/);
    assert.equal(passwordProblem("correct horse battery"), null);
    assert.equal(passwordProblem("x".repeat(196) + "abcd"), null);
  });
});
