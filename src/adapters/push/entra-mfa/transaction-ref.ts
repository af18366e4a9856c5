import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";

const PREFIX = "entra-mfa.v1.";
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

/** The `dc` value of a session's AffinityUrl (`…/EndTwoWayAuthentication?dc=KRS`). */
export const AFFINITY = /^[A-Za-z0-9_-]{1,32}$/;

const sessionRef = z.strictObject({
  kind: z.literal("session"),
  tenant: guid,
  upn: z.string().min(3).max(1024),
  sessionId: z.string().min(1).max(200),
  contextId: guid,
  dc: z.string().regex(AFFINITY).optional(),
});

const resolvedRef = z.strictObject({
  kind: z.literal("resolved"),
  outcome: z.enum(["approved", "denied", "fraud", "timeout"]),
  detail: z.string().max(1000).optional(),
});

const refSchema = z.discriminatedUnion("kind", [sessionRef, resolvedRef]);

/**
 * What Verity stores for one push: an open connector session (async mode), which any instance can
 * keep polling after a restart, or the answer a synchronous start already received.
 */
export type TransactionRef = z.output<typeof refSchema>;
export type SessionRef = z.output<typeof sessionRef>;

/** Serialises a reference as `entra-mfa.v1.<base64url JSON>`. */
export function encodeRef(ref: TransactionRef): string {
  return `${PREFIX}${Buffer.from(JSON.stringify(ref), "utf8").toString("base64url")}`;
}

/**
 * Reads a reference written by `encodeRef`.
 * @throws VerityError PROVIDER_ERROR for anything else (never an outcome).
 */
export function decodeRef(value: string): TransactionRef {
  const refuse = () => new VerityError("PROVIDER_ERROR", { message: "This push reference was not made by the Entra MFA provider." });
  if (!value.startsWith(PREFIX) || value.length > 4096) throw refuse();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  const parsed = refSchema.safeParse(json);
  if (!parsed.success) throw refuse();
  return parsed.data;
}
