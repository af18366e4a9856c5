import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * scrypt with one of the settings OWASP's Password Storage Cheat Sheet lists as equal in strength
 * (N=2^15, r=8, p=3): 32 MiB a hash rather than 128, so parallel sign-ins cannot exhaust memory.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_LENGTH = 32;

const derive = (password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });

/** `scrypt$N$r$p$<salt>$<hash>` for a new password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Whether `password` matches a stored hash, compared in constant time; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 2 ** 20) return false;
  const expected = Buffer.from(parts[5] ?? "", "base64url");
  const key = await derive(password, Buffer.from(parts[4] ?? "", "base64url"), { N, r, p });
  return expected.length === key.length && timingSafeEqual(expected, key);
}

/** A password a person might actually be given: 12 to 200 characters, not all one character. */
export function passwordProblem(password: string): string | null {
  if (password.length < 12) return "A password needs at least 12 characters.";
  if (password.length > 200) return "A password may have at most 200 characters.";
  if (new Set(password).size < 4) return "That password repeats too few characters.";
  return null;
}
