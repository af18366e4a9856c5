import { parsePhoneNumberWithError, type CountryCode } from "libphonenumber-js/max";
import { VerityError } from "./errors.js";

export interface NormalisedPhone {
  /** `+` and up to 15 digits, no extension: what an SMS provider accepts. */
  readonly e164: string;
  /** The country calling code without `+`, e.g. `44`. */
  readonly callingCode: string;
  /**
   * The ISO country, e.g. `GB`: the one the number identifies, else the calling code's main
   * country (numbers in ranges the metadata does not know yet, such as +44 7700 900xxx).
   */
  readonly country: string | undefined;
  /** National format, used only to build the masked form. */
  readonly national: string;
}

const MAX_INPUT = 40;

/**
 * Parses a directory phone number into E.164. Accepts Graph's `+1 5555551234x123` form (the
 * extension is dropped: texts cannot reach one) and common punctuation; refuses text that holds
 * anything but one number, unknown country codes, and impossible lengths.
 *
 * Possibility (length for the country) is checked rather than libphonenumber's range validity:
 * range metadata lags new allocations, and refusing a real user's new number is worse than
 * sending to it. The number only ever comes from the directory, never from the caller.
 */
export function normalisePhone(raw: string, defaultCountry?: string): NormalisedPhone {
  // Parsing is a few hundred microseconds with the full metadata and every verification does it
  // more than once for the same directory number: numbers that parsed are remembered (in memory
  // only, where the directory's numbers already are).
  const key = `${defaultCountry ?? ""}\u0000${raw}`;
  const known = parsedPhones.get(key);
  if (known !== undefined) return known;
  const phone = parsePhone(raw, defaultCountry);
  if (parsedPhones.size >= PARSED_PHONES_MAX) parsedPhones.clear();
  parsedPhones.set(key, phone);
  return phone;
}

const PARSED_PHONES_MAX = 5000;
const parsedPhones = new Map<string, NormalisedPhone>();

function parsePhone(raw: string, defaultCountry: string | undefined): NormalisedPhone {
  const text = raw.trim();
  const fail = (why: string): never => {
    throw new VerityError("INVALID_PHONE_NUMBER", { message: `Phone number ${describe(text)} ${why}.` });
  };
  if (text.length === 0) fail("is empty");
  if (text.length > MAX_INPUT) fail("is too long");
  if (!text.startsWith("+") && !text.startsWith("\uFF0B") && defaultCountry === undefined) {
    fail("must start with + and the country code");
  }
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, {
      extract: false,
      ...(defaultCountry === undefined ? {} : { defaultCountry: defaultCountry as CountryCode }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : "";
    return fail(
      reason === "INVALID_COUNTRY" ? "has an unknown country code" : reason === "TOO_LONG" ? "is too long" : "is not a phone number",
    );
  }
  const digits = parsed.number.slice(1);
  if (digits.length > 15) fail("has more than 15 digits");
  if (!parsed.isPossible()) fail("has the wrong number of digits for its country");
  return Object.freeze({
    e164: parsed.number,
    callingCode: parsed.countryCallingCode,
    country: parsed.country ?? parsed.getPossibleCountries()[0],
    national: parsed.formatNational().replace(/\s*ext\..*$|\s*x\d+$/i, ""),
  });
}

/** Shows enough of an unparsable number to find it in the directory, never the whole of it. */
function describe(text: string): string {
  const digits = text.replace(/\D/g, "");
  return digits.length <= 4 ? "'(too short to show)'" : `ending ${digits.slice(-2)}`;
}
