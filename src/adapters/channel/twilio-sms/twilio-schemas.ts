import { z } from "zod";

/** Message statuses as Twilio's OpenAPI (`message_enum_status`) lists them. */
export const TWILIO_MESSAGE_STATUSES = [
  "queued",
  "sending",
  "sent",
  "failed",
  "delivered",
  "undelivered",
  "receiving",
  "received",
  "accepted",
  "scheduled",
  "read",
  "partially_delivered",
  "canceled",
] as const;
export type TwilioMessageStatus = (typeof TWILIO_MESSAGE_STATUSES)[number];

export const messageSid = z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/);

/**
 * The part of a Message resource Verity reads. Twilio adds fields freely and says its status list
 * can grow, so unknown keys pass and the status is only required to be a string here.
 */
export const createdMessageSchema = z.looseObject({
  sid: messageSid,
  status: z.string().nullable().optional(),
  num_segments: z.string().nullable().optional(),
});

/** Twilio's REST error body: `{code, message, more_info, status}`. */
export const twilioErrorSchema = z.looseObject({
  code: z.number().int().nullable().optional(),
  message: z.string().optional(),
  more_info: z.string().optional(),
  status: z.number().int().optional(),
});
export type TwilioErrorBody = z.output<typeof twilioErrorSchema>;
