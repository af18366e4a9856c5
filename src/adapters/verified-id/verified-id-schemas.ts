import { z } from "zod";
import { VerityError } from "../../domain/errors.js";
import type { PresentationCallback, PresentedCredential } from "../../domain/face-check.js";

/** The 201 answer of createPresentationRequest (`qrCode` only when asked for; Verity draws its own). */
export const createdSchema = z.object({
  requestId: z.string().min(1).max(200),
  url: z.string().min(1).max(4000),
  expiry: z.number().int().positive(),
});

/**
 * The Request Service error envelope (error-codes.md): `error.code` mirrors the HTTP status
 * (badRequest, forbidden…), `innererror` says what caused it (badOrMissingField + target…).
 */
export const requestErrorSchema = z.object({
  requestId: z.string().optional(),
  error: z.object({
    code: z.string(),
    message: z.string().optional(),
    innererror: z.object({ code: z.string().optional(), message: z.string().optional(), target: z.string().optional() }).optional(),
  }),
});

const claimText = z.unknown().transform((v) => (typeof v === "string" && v.trim() !== "" ? v : null));

/** One entry of `verifiedCredentialsData`; unknown fields (and the photo claim) are dropped here. */
const credentialSchema = z.object({
  issuer: z.string().min(1).max(500),
  type: z.array(z.string().max(200)).max(20),
  claims: z.object({ revocationId: claimText.optional(), mail: claimText.optional() }).optional(),
  credentialState: z.object({ revocationStatus: z.string().max(50) }).optional(),
  faceCheck: z.object({ matchConfidenceScore: z.number().finite().min(0).max(100) }).optional(),
});

const base = { requestId: z.string().min(1).max(200), state: z.string().max(500) };

const callbackSchema = z.discriminatedUnion("requestStatus", [
  z.object({ ...base, requestStatus: z.literal("request_retrieved") }),
  z.object({ ...base, requestStatus: z.literal("presentation_verified"), verifiedCredentialsData: z.array(credentialSchema).min(1).max(10) }),
  z.object({ ...base, requestStatus: z.literal("presentation_error"), error: z.object({ code: z.string().max(200).optional() }).optional() }),
]);

function credentialOf(c: z.output<typeof credentialSchema>): PresentedCredential {
  return {
    issuer: c.issuer,
    types: c.type,
    revocationStatus: c.credentialState?.revocationStatus ?? null,
    revocationId: c.claims?.revocationId ?? null,
    mail: c.claims?.mail ?? null,
    score: c.faceCheck?.matchConfidenceScore ?? null,
  };
}

/**
 * A callback body as the Request Service sends it (presentation-request-api.md, "Callback
 * events"), reduced to what the checks need: the photo, the other claims, the subject DID and any
 * receipt are not kept.
 * @throws VALIDATION_FAILED
 */
export function readPresentationCallback(body: unknown): PresentationCallback {
  const parsed = callbackSchema.safeParse(body);
  if (!parsed.success) {
    throw new VerityError("VALIDATION_FAILED", {
      message: "This is not a Verified ID presentation callback (requestId, state and requestStatus request_retrieved, presentation_verified or presentation_error).",
    });
  }
  const c = parsed.data;
  switch (c.requestStatus) {
    case "request_retrieved":
      return { status: c.requestStatus, requestId: c.requestId, state: c.state };
    case "presentation_error":
      return { status: c.requestStatus, requestId: c.requestId, state: c.state, errorCode: c.error?.code ?? "unknown" };
    case "presentation_verified":
      return { status: c.requestStatus, requestId: c.requestId, state: c.state, credentials: c.verifiedCredentialsData.map(credentialOf) };
  }
}
