import { z } from "zod";

/**
 * Duo Auth API answers, parsed at the boundary. Duo adds fields freely, so unknown keys pass;
 * only what Verity reads is required.
 */

/** Every answer: `{stat: "OK", response}` or `{stat: "FAIL", code, message, message_detail}`. */
export const duoEnvelopeSchema = z.discriminatedUnion("stat", [
  z.looseObject({ stat: z.literal("OK"), response: z.unknown() }),
  z.looseObject({
    stat: z.literal("FAIL"),
    code: z.number().int().optional(),
    message: z.string().optional(),
    message_detail: z.string().optional(),
  }),
]);
export type DuoEnvelope = z.output<typeof duoEnvelopeSchema>;
export type DuoFailure = Extract<DuoEnvelope, { stat: "FAIL" }>;

export const duoDeviceSchema = z.looseObject({
  device: z.string().optional(),
  type: z.string().optional(),
  name: z.string().nullable().optional(),
  display_name: z.string().nullable().optional(),
  /** Masked by Duo, e.g. `XXX-XXX-0100`. */
  number: z.string().nullable().optional(),
  capabilities: z.array(z.string()).default([]),
});
export type DuoDevice = z.output<typeof duoDeviceSchema>;

export const preauthSchema = z.looseObject({
  result: z.enum(["auth", "allow", "deny", "enroll"]),
  status_msg: z.string().optional(),
  devices: z.array(duoDeviceSchema).default([]),
  /** Verified Push: the transaction to name in /auth (sent when the client says it supports it). */
  txid: z.string().min(1).optional(),
  /** Verified Push: the code the user types, if Duo hands it out here (UNCONFIRMED field). */
  verification_code: z.union([z.string(), z.number()]).optional(),
});
export type Preauth = z.output<typeof preauthSchema>;

export const asyncAuthSchema = z.looseObject({ txid: z.string().min(1) });

/** A synchronous /auth answer (passcodes) and every /auth_status answer. */
export const authResultSchema = z.looseObject({
  result: z.enum(["allow", "deny", "waiting"]),
  status: z.string().optional(),
  status_msg: z.string().optional(),
});
export type AuthResult = z.output<typeof authResultSchema>;

export const checkSchema = z.looseObject({ time: z.number() });
