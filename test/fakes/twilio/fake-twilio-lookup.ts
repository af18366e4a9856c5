import { parsePhoneNumberFromString } from "libphonenumber-js";
import { twilioError, type TwilioErrorReply } from "./fake-twilio-rules.js";

/** What the fake's Lookup v2 knows about numbers, beyond "a valid mobile with no SIM swap". */
export interface FakeLookupData {
  /** E.164 → line type (`landline`, `nonFixedVoip`, …); absent numbers are `mobile`. */
  readonly lineTypes: Map<string, string>;
  /** E.164 → the number's line-type error (60601: Canadian data needs approval). */
  readonly lineTypeErrors: Map<string, number>;
  /** E.164 → the last SIM swap, or an error code (60620: incomplete carrier data). */
  readonly simSwaps: Map<string, { readonly swappedPeriod: string; readonly swappedInPeriod: boolean } | { readonly errorCode: number }>;
}

/** The packages a Lookup v2 request may ask for in `Fields` (twilio-lookups.openapi.json). */
const PACKAGES = new Set([
  "validation",
  "caller_name",
  "sim_swap",
  "call_forwarding",
  "line_status",
  "line_type_intelligence",
  "identity_match",
  "reassigned_number",
  "sms_pumping_risk",
  "phone_number_quality_score",
  "pre_fill",
]);

/**
 * `GET /v2/PhoneNumbers/{PhoneNumber}?Fields=…` as Twilio documents it: the number's E.164 and
 * validity, and one object per requested package (null for the others). Line type and SIM swap
 * come from `data`. An unknown package is refused with 400 (UNCONFIRMED: the code Twilio uses).
 * A number of impossible length is answered `valid: false` with TOO_SHORT or TOO_LONG.
 */
export function lookupReply(rawNumber: string, query: URLSearchParams, data: FakeLookupData): { status: number; body: unknown } | TwilioErrorReply {
  const number = decodeURIComponent(rawNumber);
  const fields = (query.get("Fields") ?? "").split(",").filter((f) => f !== "");
  const unknown = fields.find((f) => !PACKAGES.has(f));
  if (unknown !== undefined) return twilioError(400, 60200, `Invalid parameter Fields: ${unknown}`);
  const parsed = parsePhoneNumberFromString(number);
  // Possible rather than valid: the fake takes the drama and fictional ranges tests use as real.
  const valid = parsed?.isPossible() === true;
  const e164 = parsed?.number ?? number;
  const none = Object.fromEntries([...PACKAGES].filter((p) => p !== "validation").map((p) => [p, null]));
  const body: Record<string, unknown> = {
    calling_country_code: parsed?.countryCallingCode ?? null,
    country_code: parsed?.country ?? null,
    phone_number: e164,
    national_format: parsed?.formatNational() ?? null,
    valid,
    validation_errors: valid ? null : [number.replace(/\D/g, "").length > 12 ? "TOO_LONG" : "TOO_SHORT"],
    ...none,
    url: `https://lookups.twilio.com/v2/PhoneNumbers/${e164}`,
  };
  if (!valid) return { status: 200, body };
  if (fields.includes("line_type_intelligence")) {
    const error = data.lineTypeErrors.get(e164);
    const type = error === undefined ? (data.lineTypes.get(e164) ?? "mobile") : null;
    body.line_type_intelligence = {
      mobile_country_code: type === "mobile" ? "310" : null,
      mobile_network_code: type === "mobile" ? "456" : null,
      carrier_name: type === null ? null : `Fake ${type} carrier`,
      type,
      error_code: error ?? null,
    };
  }
  if (fields.includes("sim_swap")) {
    const swap = data.simSwaps.get(e164) ?? { swappedPeriod: "PT48H", swappedInPeriod: false };
    body.sim_swap =
      "errorCode" in swap
        ? { last_sim_swap: null, carrier_name: null, mobile_country_code: null, mobile_network_code: null, error_code: swap.errorCode }
        : {
            last_sim_swap: { last_sim_swap_date: null, swapped_period: swap.swappedPeriod, swapped_in_period: swap.swappedInPeriod },
            carrier_name: "Fake mobile carrier",
            mobile_country_code: "310",
            mobile_network_code: "456",
            error_code: null,
          };
  }
  return { status: 200, body };
}
