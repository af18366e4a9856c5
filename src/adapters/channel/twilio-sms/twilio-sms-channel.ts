import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import { maskPhone } from "../../../domain/masking.js";
import { normalisePhone } from "../../../domain/phone.js";
import type { DeliveryReceipt, MessageChannel, OutboundMessage } from "../../../domain/ports.js";
import { CircuitOpenError, createOutboundClient, OutboundError } from "../../http/outbound.js";
import type { TwilioConfig } from "./twilio-config.js";
import { errorFromResponse, errorFromTransport, type SendContext } from "./twilio-errors.js";
import { createTwilioLookup } from "./twilio-lookup.js";
import { probeTwilio } from "./twilio-probe.js";
import { parseJson } from "../../http/json.js";
import { createdMessageSchema } from "./twilio-schemas.js";

export interface TwilioSmsChannelDeps {
  /** The provider's name in the configuration, shown in logs. */
  readonly name: string;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Where Twilio posts status changes (built from `server.publicUrl`), or null for none. */
  readonly statusCallbackUrl: string | null;
  /** The code's lifetime: Twilio drops a text still queued after it, when the code is useless. */
  readonly validityPeriodSeconds?: number;
  /** Milliseconds since the epoch, for the Lookup line-type cache; the system clock by default. */
  readonly now?: () => number;
}

export type TwilioSmsChannel = MessageChannel & { close(): Promise<void> };

/** Twilio's limits on Body and ValidityPeriod (Message resource, create). */
export const MAX_BODY_CHARACTERS = 1600;
const VALIDITY_MIN = 1;
const VALIDITY_MAX = 36_000;

/**
 * An SMS channel over Twilio Programmable Messaging (`POST …/Accounts/{AccountSid}/Messages.json`).
 *
 * A send is repeated only when Twilio certainly did not take it: a 429 (Twilio never processes
 * those) or a connection never made. A timeout, a reset or a 5xx rejects with DELIVERY_UNKNOWN and
 * is never repeated here, so a caller is not sent two codes. With `lookup` on (the default) the
 * registered number's line type (and, when enabled, a recent SIM swap) is checked through Twilio
 * Lookup before the send, as risk signals (`assess`).
 *
 * @example
 * ```ts
 * const sms = createTwilioSmsChannel(config, { name: "acme-sms", log, statusCallbackUrl: null, validityPeriodSeconds: 600 });
 * const { providerRef } = await sms.send(message); // "SM…"
 * ```
 */
export function createTwilioSmsChannel(config: TwilioConfig, deps: TwilioSmsChannelDeps): TwilioSmsChannel {
  // SECURITY.md R2: during a Twilio outage the client's breaker fails at once instead of making each technician wait.
  const client = createOutboundClient({ name: "Twilio", timeoutMs: config.timeoutMs, log: deps.log, ...(deps.now === undefined ? {} : { now: deps.now }) });
  const url = `${config.baseUrl}/2010-04-01/Accounts/${config.accountSid}/Messages.json`;
  const sender = config.messagingServiceSid === undefined ? `sender ${config.from ?? ""}` : `Messaging Service ${config.messagingServiceSid}`;
  const validity = clampValidity(deps.validityPeriodSeconds);

  const authorization = (): string => {
    const [user, password] =
      config.auth.kind === "authToken"
        ? [config.accountSid, config.auth.authToken.reveal()]
        : [config.auth.keySid, config.auth.keySecret.reveal()];
    return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
  };
  const lookup = config.lookup === false ? null : createTwilioLookup(config.lookup, { name: deps.name, log: deps.log, authorization, ...(deps.now === undefined ? {} : { now: deps.now }) });

  const form = (message: OutboundMessage): string => {
    const fields = new URLSearchParams({ To: message.to });
    if (config.messagingServiceSid !== undefined) fields.set("MessagingServiceSid", config.messagingServiceSid);
    else if (config.from !== undefined) fields.set("From", config.from);
    fields.set("Body", message.text);
    if (deps.statusCallbackUrl !== null) fields.set("StatusCallback", deps.statusCallbackUrl);
    if (validity !== undefined) fields.set("ValidityPeriod", String(validity));
    return fields.toString();
  };

  const circuitOpen = (error: CircuitOpenError, ctx: SendContext): VerityError => {
    const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    deps.log.warn({ provider: deps.name, to: ctx.masked, retryAfterSeconds: seconds }, "Twilio circuit open: text not attempted");
    return new VerityError("CHANNEL_UNAVAILABLE", {
      message: `Twilio failed repeatedly in the last few seconds, so Verity is not trying it for ${seconds} s. Nothing was sent: use another method (a push) or escalate.`,
      retryAfterSeconds: seconds,
      details: { provider: "twilio", circuit: "open" },
      cause: error,
    });
  };

  const sendOnce = async (message: OutboundMessage, ctx: SendContext): Promise<DeliveryReceipt> => {
    if (message.channel !== "sms") {
      throw new VerityError("CHANNEL_REJECTED", { message: `Provider '${deps.name}' (Twilio) carries SMS only.` });
    }
    if ([...message.text].length > MAX_BODY_CHARACTERS) {
      throw new VerityError("CHANNEL_REJECTED", {
        message: `The text is longer than Twilio's ${MAX_BODY_CHARACTERS} characters; an administrator must shorten the tenant's SMS template.`,
      });
    }
    let response;
    try {
      response = await client.request({
        method: "POST",
        url,
        headers: { authorization: authorization(), "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form(message),
        retry: "not-sent-only",
      });
    } catch (error) {
      if (error instanceof CircuitOpenError) throw circuitOpen(error, ctx);
      if (!(error instanceof OutboundError)) throw error;
      const mapped = errorFromTransport(error, ctx);
      deps.log.warn({ provider: deps.name, to: ctx.masked, kind: error.kind, verificationId: message.verificationId }, "Twilio send got no answer");
      throw mapped;
    }
    if (response.status >= 200 && response.status < 300) {
      const created = parseJson(createdMessageSchema, response.text);
      if (created === undefined) {
        // Twilio took the message; only its id is missing, so this is still a success.
        deps.log.warn({ provider: deps.name, to: ctx.masked, status: response.status }, "Twilio accepted the text but its answer could not be read");
        return {};
      }
      deps.log.debug({ provider: deps.name, to: ctx.masked, sid: created.sid, attempts: response.attempts }, "Twilio accepted the text");
      return { providerRef: created.sid };
    }
    const mapped = errorFromResponse(response, ctx);
    deps.log.warn(
      { provider: deps.name, to: ctx.masked, status: response.status, code: mapped.code, details: mapped.details, verificationId: message.verificationId },
      "Twilio did not accept the text",
    );
    throw mapped;
  };

  return {
    name: deps.name,
    developmentOnly: false,
    channels: ["sms"],
    async send(message): Promise<DeliveryReceipt> {
      return sendOnce(message, describeDestination(message.to, sender));
    },
    ...(lookup === null ? {} : { assess: ({ channel, to }) => (channel === "sms" ? lookup.assess(to) : Promise.resolve([])) }),
    probe: () => probeTwilio(config, { client, authorization }),
    close: async () => {
      await Promise.all([client.close(), lookup?.close()]);
    },
  };
}


function clampValidity(seconds: number | undefined): number | undefined {
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  return Math.min(VALIDITY_MAX, Math.max(VALIDITY_MIN, Math.ceil(seconds)));
}

const REGION_NAMES = new Intl.DisplayNames(["en"], { type: "region" });

function describeDestination(to: string, sender: string): SendContext {
  try {
    const phone = normalisePhone(to);
    const country = phone.country === undefined ? undefined : REGION_NAMES.of(phone.country);
    return { masked: maskPhone(phone), region: `+${phone.callingCode}${country === undefined ? "" : ` (${country})`}`, sender };
  } catch {
    const digits = to.replace(/\D/g, "");
    return { masked: digits.length > 4 ? `a number ending ${digits.slice(-2)}` : "an unreadable number", region: "that country's", sender };
  }
}
