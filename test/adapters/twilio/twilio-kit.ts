import { pino } from "pino";
import { createTwilioSmsChannel, type TwilioSmsChannel, type TwilioSmsChannelDeps } from "../../../src/adapters/channel/twilio-sms/twilio-sms-channel.js";
import { twilioConfigSchema, type TwilioConfig } from "../../../src/adapters/channel/twilio-sms/twilio-config.js";
import type { OutboundMessage } from "../../../src/domain/ports.js";
import { startFakeTwilio, type FakeTwilio, type FakeTwilioOptions } from "../../fakes/twilio/fake-twilio.js";
import { captureLogs } from "../../helpers/logs.js";

/** A UK mobile number from Ofcom's drama range, its masked form, and the digits that must never show. */
export const TO = "+447700900123";
export const TO_MASKED = "+44 \u2022\u2022\u2022\u2022\u2022 \u2022\u20220123";
export const TO_NATIONAL_DIGITS = "7700900123";
export const CODE = "482913";

export const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  channel: "sms",
  to: TO,
  subject: "Service desk code",
  text: `${CODE} is your Acme service desk code. Only read this code to the service desk if you called them.`,
  verificationId: "ver_1",
  tenantId: "acme",
  ...overrides,
});

/** A parsed config for the fake's first account: Auth Token and its sender unless overridden. */
export function configFor(fake: FakeTwilio, overrides: Record<string, unknown> = {}): TwilioConfig {
  return twilioConfigSchema.parse({
    kind: "twilio",
    accountSid: fake.account.sid,
    auth: { kind: "authToken", authToken: fake.account.authToken },
    from: fake.account.senders[0],
    baseUrl: fake.baseUrl,
    lookup: { baseUrl: fake.baseUrl, timeoutMs: 400 },
    timeoutMs: 400,
    ...overrides,
  });
}

export const apiKeyAuth = (fake: FakeTwilio) => {
  const [key] = fake.account.apiKeys;
  if (key === undefined) throw new Error("the fake account has no API key");
  return { kind: "apiKey", keySid: key.sid, keySecret: key.secret };
};

export interface TwilioKit {
  readonly fake: FakeTwilio;
  readonly logs: string[];
  /** A channel on the fake; closed with the kit. */
  channel(config?: Record<string, unknown>, deps?: Partial<TwilioSmsChannelDeps>): TwilioSmsChannel;
  close(): Promise<void>;
}

/** A fake Twilio plus channels that talk to it, logging into `logs`. */
export async function startTwilioKit(options: FakeTwilioOptions = {}): Promise<TwilioKit> {
  const fake = await startFakeTwilio(options);
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const channels: TwilioSmsChannel[] = [];
  return {
    fake,
    logs: lines,
    channel(config = {}, deps = {}) {
      const channel = createTwilioSmsChannel(configFor(fake, config), { name: "acme-sms", log, statusCallbackUrl: null, ...deps });
      channels.push(channel);
      return channel;
    },
    async close() {
      await Promise.all(channels.map((c) => c.close()));
      await fake.close();
    },
  };
}

/** The text an error shows anywhere: its message plus its details. */
export const shown = (error: unknown): string =>
  error instanceof Error ? `${error.message} ${JSON.stringify((error as { details?: unknown }).details ?? null)}` : String(error);

/** True when nothing in `text` reveals the destination number. */
export const hidesNumber = (text: string): boolean => !text.includes(TO) && !text.includes(TO_NATIONAL_DIGITS);
