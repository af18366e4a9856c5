import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import { VerityError } from "./errors.js";

export const MIN_CODE_LENGTH = 6;
export const MAX_CODE_LENGTH = 10;

/** A uniformly random code of `length` decimal digits from the CSPRNG; leading zeros are kept. */
export function generateCode(length: number): string {
  if (!Number.isInteger(length) || length < MIN_CODE_LENGTH || length > MAX_CODE_LENGTH) {
    throw new RangeError(`code length must be ${MIN_CODE_LENGTH}-${MAX_CODE_LENGTH}`);
  }
  // randomInt draws below 2^48; 10^10 fits, and sampling the whole range at once avoids the
  // modulo bias of concatenating digits.
  return randomInt(0, 10 ** length)
    .toString()
    .padStart(length, "0");
}

/**
 * The stored form of a code: HMAC-SHA256 under the server's code key, bound to the verification
 * id so that a code issued for one verification never matches another.
 */
export function hashCode(key: Buffer, verificationId: string, code: string): string {
  return createHmac("sha256", key).update(`${verificationId}\u0000${code}`).digest("base64url");
}

/** Constant-time equality of two stored hashes (unequal lengths compare as different). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

const MAX_RAW_CODE_INPUT = 64;

/**
 * Turns what a technician typed into the canonical digit string, or refuses it. Spaces and
 * hyphens between digits are allowed (codes are read out in groups); anything else, including
 * non-ASCII digits and JSON numbers (which lose leading zeros), is an INVALID_CODE_FORMAT.
 * The answer depends only on the input's shape, never on how close it is to the real code.
 */
export function normaliseCodeInput(raw: unknown, expectedLength: number): string {
  if (typeof raw !== "string") {
    throw new VerityError("INVALID_CODE_FORMAT", { message: "The code must be sent as a string of digits." });
  }
  if (raw.length > MAX_RAW_CODE_INPUT) {
    throw new VerityError("INVALID_CODE_FORMAT", { message: "The code is too long." });
  }
  const compact = raw.trim().replace(/[ -]/g, "");
  if (!/^[0-9]+$/.test(compact)) {
    throw new VerityError("INVALID_CODE_FORMAT", { message: "The code may contain only the digits 0-9." });
  }
  if (compact.length !== expectedLength) {
    throw new VerityError("INVALID_CODE_FORMAT", { message: `The code has ${expectedLength} digits.` });
  }
  return compact;
}
