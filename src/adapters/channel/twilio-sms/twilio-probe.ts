import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import { parseJson } from "../../http/json.js";
import { OutboundError, type OutboundClient, type OutboundResponse } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import type { TwilioConfig } from "./twilio-config.js";
import { ACCOUNT_MESSAGE, AUTH_MESSAGE } from "./twilio-errors.js";
import { twilioErrorSchema } from "./twilio-schemas.js";

/** IncomingPhoneNumbers list page; `capabilities` keys are lower-case in Twilio's answers (upper-case elsewhere: read both). */
const numbersPageSchema = z.object({
  incoming_phone_numbers: z.array(z.object({ phone_number: z.string(), capabilities: z.record(z.string(), z.unknown()).nullish() })),
});
const messagingServiceSchema = z.object({ sid: z.string(), friendly_name: z.string().nullish() });

/**
 * Twilio's connection test, with a documented read that sends nothing and works with Standard
 * API keys (which may not read the Account resource itself):
 * - with `from`: `GET /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PhoneNumber={from}`,
 *   which proves the credentials and that the account owns the sender and it can text;
 * - with `messagingServiceSid`: `GET {messagingBaseUrl}/v1/Services/{MG…}`, which proves the
 *   credentials and that the Messaging Service is the account's.
 */
export function probeTwilio(config: TwilioConfig, deps: { readonly client: OutboundClient; readonly authorization: () => string }): Promise<ProbeResult> {
  const account = `account ${config.accountSid}`;
  const get = async (url: string): Promise<OutboundResponse> => {
    try {
      return await deps.client.request({ method: "GET", url, headers: { authorization: deps.authorization(), accept: "application/json" }, retry: "idempotent" });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw new VerityError("CHANNEL_UNAVAILABLE", { message: `${error.message} Check baseUrl and that this server may reach Twilio.` });
    }
  };

  return probeWith(async () => {
    if (config.messagingServiceSid !== undefined) {
      const sid = config.messagingServiceSid;
      const response = await get(`${config.messagingBaseUrl}/v1/Services/${sid}`);
      if (response.status === 404) {
        return { ok: false, detail: `Twilio accepted the credentials, but ${account} has no Messaging Service ${sid}. Check messagingServiceSid in the Twilio Console (Messaging › Services).` };
      }
      refuseUnlessOk(response);
      const service = parseJson(messagingServiceSchema, response.text);
      const named = service?.friendly_name ? ` ("${service.friendly_name.slice(0, 64)}")` : "";
      return `Twilio accepted the credentials for ${account}, and its Messaging Service ${sid}${named} exists. Nothing was sent.`;
    }
    const from = config.from ?? "";
    const response = await get(`${config.baseUrl}/2010-04-01/Accounts/${config.accountSid}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(from)}`);
    refuseUnlessOk(response);
    const page = parseJson(numbersPageSchema, response.text);
    if (page === undefined) throw new VerityError("CHANNEL_UNAVAILABLE", { message: "Twilio answered the test with something Verity cannot read; check baseUrl." });
    const number = page.incoming_phone_numbers.find((n) => n.phone_number === from);
    if (number === undefined) {
      return { ok: false, detail: `Twilio accepted the credentials, but ${account} has no number ${from}, so texts from it would fail (21606). Set from to one of the account's SMS-capable numbers, or use a Messaging Service.` };
    }
    const sms = Object.entries(number.capabilities ?? {}).find(([key]) => key.toLowerCase() === "sms")?.[1];
    if (sms === false) {
      return { ok: false, detail: `Twilio accepted the credentials, but its number ${from} cannot send SMS (21606). Set from to an SMS-capable number, or use a Messaging Service.` };
    }
    return `Twilio accepted the credentials for ${account}, which owns the sender ${from}${sms === true ? " (SMS-capable)" : ""}. Nothing was sent.`;
  });
}

function refuseUnlessOk(response: OutboundResponse): void {
  if (response.status === 200) return;
  const code = parseJson(twilioErrorSchema, response.text)?.code ?? undefined;
  if (response.status === 401 || response.status === 403 || code === 20003) throw new VerityError("UPSTREAM_AUTH_FAILED", { message: AUTH_MESSAGE });
  if (response.status === 404) throw new VerityError("UPSTREAM_AUTH_FAILED", { message: ACCOUNT_MESSAGE });
  throw new VerityError("CHANNEL_UNAVAILABLE", {
    message: `Twilio answered the test with HTTP ${response.status}${code === undefined ? "" : ` (Twilio error ${code})`}; try again shortly.`,
  });
}
