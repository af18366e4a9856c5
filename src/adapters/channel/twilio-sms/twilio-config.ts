import { z } from "zod";
import { baseUrl, e164String, secretString, timeoutMs } from "../../../config/fields.js";
import type { Secret } from "../../../config/secret.js";

const accountSid = z.string().regex(/^AC[0-9a-f]{32}$/, "an Account SID: AC followed by 32 lowercase hex digits");
const apiKeySid = z.string().regex(/^SK[0-9a-f]{32}$/, "an API key SID: SK followed by 32 lowercase hex digits");
const messagingServiceSid = z
  .string()
  .regex(/^MG[0-9a-f]{32}$/, "a Messaging Service SID: MG followed by 32 lowercase hex digits");

const twilioAuth = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("authToken"), authToken: secretString }),
  z.strictObject({ kind: z.literal("apiKey"), keySid: apiKeySid, keySecret: secretString }),
]);

/**
 * Checks of the registered number through Twilio Lookup v2 before a code is texted to it: the
 * line type (a VoIP, landline or toll-free number proves nothing about a phone in the caller's
 * hand) and, where Twilio has enabled it for the account, a recent SIM swap. Results become risk
 * signals for the tenant's policy. `false` turns the checks off.
 */
const twilioLookup = z.union([
  z.literal(false),
  z.strictObject({
    lineType: z.boolean().default(true),
    /** Needs Twilio's approval for the account (SIM Swap is in private beta). */
    simSwap: z.boolean().default(false),
    baseUrl: baseUrl.default("https://lookups.twilio.com"),
    /** On the critical path beside the directory's reads: keep it short. */
    timeoutMs: timeoutMs.default(4000),
  }),
]);

/**
 * A `providers.<name>` block of kind `twilio`: Programmable Messaging SMS.
 *
 * @example
 * ```yaml
 * providers:
 *   acme-sms:
 *     kind: twilio
 *     accountSid: AC0123456789abcdef0123456789abcdef
 *     auth: { kind: apiKey, keySid: SK0123456789abcdef0123456789abcdef, keySecret: ${TWILIO_KEY_SECRET} }
 *     webhookAuthToken: ${TWILIO_AUTH_TOKEN}
 *     messagingServiceSid: MG0123456789abcdef0123456789abcdef
 * ```
 */
export const twilioConfigSchema = z
  .strictObject({
    kind: z.literal("twilio"),
    accountSid,
    auth: twilioAuth,
    /** The account Auth Token, used only to check status-callback signatures when `auth` is an API key. */
    webhookAuthToken: secretString.optional(),
    from: e164String.optional(),
    messagingServiceSid: messagingServiceSid.optional(),
    baseUrl: baseUrl.default("https://api.twilio.com"),
    /** Where Messaging Services are read (the connection test); another host than baseUrl at Twilio. */
    messagingBaseUrl: baseUrl.default("https://messaging.twilio.com"),
    statusCallbacks: z.boolean().default(true),
    timeoutMs: timeoutMs.default(10_000),
    lookup: twilioLookup.prefault({}),
  })
  .superRefine((config, ctx) => {
    if ((config.from === undefined) === (config.messagingServiceSid === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: "set exactly one of from (a Twilio number) or messagingServiceSid",
      });
    }
    if (config.auth.kind === "authToken" && config.webhookAuthToken !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["webhookAuthToken"],
        message: "only for API-key auth: with auth.kind authToken, that token already checks callbacks",
      });
    }
    // Twilio signs callbacks with the account Auth Token, which an API key cannot stand in for;
    // refusing here beats accepting callbacks nobody can verify.
    if (config.auth.kind === "apiKey" && config.statusCallbacks && config.webhookAuthToken === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["webhookAuthToken"],
        message: "is required with API-key auth to verify status callbacks (the account Auth Token); or set statusCallbacks: false",
      });
    }
  });

export type TwilioConfig = z.output<typeof twilioConfigSchema>;
export type TwilioLookupConfig = Exclude<TwilioConfig["lookup"], false>;

/**
 * The token that checks `X-Twilio-Signature` on this account's status callbacks: the Auth Token
 * itself, or `webhookAuthToken` with API-key auth. `null` when status callbacks are off or no
 * token is available, in which case no StatusCallback URL should be given to the channel.
 */
export function statusCallbackAuthToken(config: TwilioConfig): Secret | null {
  if (!config.statusCallbacks) return null;
  if (config.auth.kind === "authToken") return config.auth.authToken;
  return config.webhookAuthToken ?? null;
}
