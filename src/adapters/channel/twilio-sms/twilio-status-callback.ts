import { z } from "zod";
import { messageSid, TWILIO_MESSAGE_STATUSES, type TwilioMessageStatus } from "./twilio-schemas.js";
import type { TwilioParams } from "./twilio-signature.js";

/** A status change Twilio reported for one of Verity's texts. */
export interface TwilioStatusCallback {
  readonly messageSid: string;
  readonly accountSid: string;
  readonly status: TwilioMessageStatus;
  /** Set when the text failed or was undelivered (30003–30008 and others). */
  readonly errorCode: number | null;
}

const callbackSchema = z
  .looseObject({
    MessageSid: messageSid,
    AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
    MessageStatus: z.enum(TWILIO_MESSAGE_STATUSES),
    ErrorCode: z
      .string()
      .regex(/^\d{0,9}$/)
      .optional(),
  })
  .transform(
    (p): TwilioStatusCallback => ({
      messageSid: p.MessageSid,
      accountSid: p.AccountSid,
      status: p.MessageStatus,
      errorCode: p.ErrorCode === undefined || p.ErrorCode === "" ? null : Number(p.ErrorCode),
    }),
  );

/**
 * Reads a status callback's form. Twilio adds parameters without notice, so unknown ones are
 * ignored; a missing or malformed SID or status, or a status outside Twilio's list, fails.
 * Check the signature first: this says nothing about who sent the form.
 *
 * @returns the callback, or `null` when the form is not a message status callback.
 */
export function parseStatusCallback(params: TwilioParams | URLSearchParams): TwilioStatusCallback | null {
  const record = params instanceof URLSearchParams ? Object.fromEntries(params) : params;
  const parsed = callbackSchema.safeParse(record);
  return parsed.success ? parsed.data : null;
}

/** Where a status leaves a text: still travelling, at the handset, or lost. */
export function statusOutcome(status: TwilioMessageStatus): "pending" | "delivered" | "failed" {
  if (status === "delivered" || status === "read") return "delivered";
  if (status === "failed" || status === "undelivered" || status === "canceled") return "failed";
  return "pending";
}

// Twilio's delivery error dictionary for these codes is UNCONFIRMED here; the wording is ours.
const DELIVERY_ERRORS: Readonly<Record<number, string>> = {
  30003: "the phone is switched off or out of coverage",
  30004: "the recipient or their carrier blocks these texts",
  30005: "the carrier does not know the number; it may no longer be in service",
  30006: "the number is a landline or its carrier cannot receive texts",
  30007: "the carrier filtered the text as unwanted",
  30008: "the carrier reported an unknown error",
};

/** A technician-facing reason for a delivery error code from a callback. */
export function describeDeliveryError(code: number | null): string {
  if (code === null) return "Twilio gave no reason";
  return DELIVERY_ERRORS[code] ?? `Twilio error ${code}`;
}
