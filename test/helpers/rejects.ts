import assert from "node:assert/strict";
import { isVerityError, type VerityError } from "../../src/domain/errors.js";

/** Asserts a promise rejects with a VerityError of `code` and returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: VerityError["code"]): Promise<VerityError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(isVerityError(caught), `expected VerityError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}
