import { isVerityError } from "../../domain/errors.js";
import type { ProbeResult } from "../../domain/ports.js";

/**
 * Runs a connection test. `check` makes its harmless call and says what it found, in words (or
 * returns a whole result when something is off without failing). A rejection becomes `ok: false`
 * with the adapter's own translation: VerityError messages carry no secrets by rule. Any other
 * error is named only, since its message could quote a URL with credentials in it.
 */
export async function probeWith(check: () => Promise<string | ProbeResult>): Promise<ProbeResult> {
  try {
    const found = await check();
    return typeof found === "string" ? { ok: true, detail: found } : found;
  } catch (error) {
    if (isVerityError(error)) return { ok: false, detail: error.message };
    const name = error instanceof Error ? error.name : "an unknown error";
    return { ok: false, detail: `The test failed unexpectedly (${name}); nothing more is shown, since its text could hold a secret. Try again; if it happens again, report it.` };
  }
}
