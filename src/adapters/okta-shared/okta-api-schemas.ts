import { z } from "zod";

/** Okta's error envelope: `{errorCode, errorSummary, errorLink, errorId, errorCauses}`. */
export const oktaErrorSchema = z.looseObject({
  errorCode: z.string().optional(),
  errorSummary: z.string().optional(),
  errorId: z.string().optional(),
  errorCauses: z.array(z.looseObject({ errorSummary: z.string().optional() })).optional(),
});
export type OktaErrorBody = z.output<typeof oktaErrorSchema>;

/** The org authorization server's token answer (client credentials). */
export const tokenResponseSchema = z.looseObject({
  token_type: z.string(),
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});

/** An OAuth error from `/oauth2/v1/token`. */
export const oauthErrorSchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});
