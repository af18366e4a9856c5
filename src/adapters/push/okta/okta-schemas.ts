import { z } from "zod";

/**
 * The parts of Okta's answers Verity reads (Okta Management API, UserFactor and User). Okta adds
 * properties freely, so unknown keys pass; what Verity acts on is checked strictly.
 */

const link = z.looseObject({ href: z.string().min(1) });

/** `GET /api/v1/users/{id}`: only the id and status matter here. */
export const oktaUserSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().optional(),
  profile: z.looseObject({ login: z.string().optional() }).optional(),
});
export type OktaUser = z.output<typeof oktaUserSchema>;

/** One enrolled factor from `GET /api/v1/users/{userId}/factors`. */
export const oktaFactorSchema = z.looseObject({
  id: z.string().min(1),
  factorType: z.string(),
  provider: z.string().optional(),
  vendorName: z.string().optional(),
  status: z.string().optional(),
  profile: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type OktaFactor = z.output<typeof oktaFactorSchema>;

export const oktaFactorListSchema = z.array(oktaFactorSchema);

/** The 201 answer to a push challenge: WAITING, the poll and cancel links, maybe the number. */
export const pushChallengeSchema = z.looseObject({
  factorResult: z.literal("WAITING"),
  expiresAt: z.string().optional(),
  _links: z.looseObject({ poll: link, cancel: link.optional() }),
  _embedded: z
    .looseObject({
      challenge: z.looseObject({ correctAnswer: z.number().int().min(0).max(999).optional() }).nullable().optional(),
    })
    .nullable()
    .optional(),
});

/** A push transaction as polling returns it. Any other factorResult is refused, never guessed at. */
export const pushTransactionSchema = z.looseObject({
  factorResult: z.enum(["WAITING", "SUCCESS", "REJECTED", "TIMEOUT"]),
});

/** The answer to a passcode verify: SUCCESS, or another UserFactorVerifyResult. */
export const passcodeResultSchema = z.looseObject({ factorResult: z.string() });
