import { VerityError } from "../../../domain/errors.js";
import type { OktaClient } from "../../okta-shared/okta-client.js";
import { oktaError } from "../../okta-shared/okta-errors.js";
import { parseJson } from "../../http/json.js";
import { passcodeResultSchema } from "./okta-schemas.js";

const PASSCODE = /^\d{6,10}$/;

/** Okta's answers that mean "not this code", with what the technician should tell the caller. */
const REFUSED_CODES: Readonly<Record<string, string>> = {
  E0000068: "Okta says the passcode does not match. Ask the caller to read the code their app shows now.",
  // UNCONFIRMED: Okta's code for a passcode used twice in one time window.
  E0000082: "Okta has already accepted that passcode once. Ask the caller to wait for the next code.",
};

const RESULT_WORDS: Readonly<Record<string, string>> = {
  PASSCODE_REPLAYED: "Okta has already accepted that passcode once. Ask the caller to wait for the next code.",
  TIME_WINDOW_EXCEEDED: "The passcode is outside Okta's time window. Ask the caller to read the code their app shows now.",
  EXPIRED: "The passcode has expired. Ask the caller to read the code their app shows now.",
};

/**
 * Checks a passcode with Okta (`POST …/factors/{totpFactorId}/verify` with `{"passCode"}`):
 * SUCCESS is valid, 403 E0000068 is a wrong code, and every other failure is an error, never a
 * silent "valid". The passcode appears only in the request body, never in a message or log.
 */
export async function checkOktaPasscode(
  client: OktaClient,
  input: { readonly userId: string; readonly factorId: string; readonly passcode: string; readonly who: string },
): Promise<{ readonly valid: boolean; readonly detail?: string }> {
  if (!PASSCODE.test(input.passcode)) {
    throw new VerityError("VALIDATION_FAILED", { message: "An Okta passcode is 6 to 10 digits." });
  }
  const action = `check a passcode for ${input.who} with Okta`;
  const response = await client.send({
    method: "POST",
    url: `${client.orgUrl}/api/v1/users/${encodeURIComponent(input.userId)}/factors/${encodeURIComponent(input.factorId)}/verify`,
    json: { passCode: input.passcode },
    retry: "not-sent-only",
    action,
    scope: "okta.users.manage",
    effect: "passcode",
  });
  if (response.status === 200) {
    const result = parseJson(passcodeResultSchema, response.text);
    if (result === undefined) throw new VerityError("PROVIDER_ERROR", { message: "Okta answered the passcode check in a form Verity cannot read." });
    if (result.factorResult === "SUCCESS") return { valid: true, detail: "Okta accepted the passcode." };
    return { valid: false, detail: RESULT_WORDS[result.factorResult] ?? `Okta did not accept the passcode (${result.factorResult}).` };
  }
  const code = oktaError(response)?.errorCode;
  const refused = code === undefined ? undefined : REFUSED_CODES[code];
  if (response.status === 403 && refused !== undefined) return { valid: false, detail: refused };
  if (response.status === 404) {
    throw new VerityError("NO_USABLE_FACTOR", { message: `Okta no longer has that passcode enrolment for ${input.who}; look the user up again.` });
  }
  throw client.failure(response, { action, scope: "okta.users.manage" });
}
