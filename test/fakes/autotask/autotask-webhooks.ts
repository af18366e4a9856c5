import { createHmac } from "node:crypto";

export interface AutotaskDeliveryInput {
  readonly secretKey: string;
  readonly ticketId: number;
  /** Create, Update, Delete or Deactivated (default Update). */
  readonly action?: string;
  readonly entityType?: string;
  /** The webhook's GUID (the same on every delivery of one webhook). */
  readonly guid?: string;
  /** Changed and display-always fields, by REST name (a UDF by its label). */
  readonly fields?: Record<string, unknown>;
  readonly personId?: number;
  readonly eventTime?: string;
  readonly sequenceNumber?: number;
}

export const FAKE_WEBHOOK_GUID = "6b3f0c1e-2a4d-4e5f-9a8b-7c6d5e4f3a2b";

/**
 * A ticket webhook delivery as Autotask sends it: JSON `{Action, Guid, EntityType, Id, Fields,
 * EventTime, SequenceNumber, PersonID}` (layout UNCONFIRMED; keys as public receivers read them)
 * and `X-Hook-Signature: sha1=<base64 HMAC-SHA1(SecretKey, body)>`.
 */
export function signedAutotaskDelivery(input: AutotaskDeliveryInput): { body: string; headers: Record<string, string> } {
  const payload: Record<string, unknown> = {
    Action: input.action ?? "Update",
    Guid: input.guid ?? FAKE_WEBHOOK_GUID,
    EntityType: input.entityType ?? "Ticket",
    Id: input.ticketId,
    Fields: input.fields ?? {},
    EventTime: input.eventTime ?? new Date().toISOString(),
    SequenceNumber: input.sequenceNumber ?? 1,
    ...(input.personId === undefined ? {} : { PersonID: input.personId }),
  };
  const body = JSON.stringify(payload);
  return { body, headers: { "content-type": "application/json", "x-hook-signature": autotaskSignature(input.secretKey, body) } };
}

/** `sha1=<base64 HMAC-SHA1(secretKey, body)>`. */
export function autotaskSignature(secretKey: string, body: string | Buffer): string {
  return `sha1=${createHmac("sha1", secretKey).update(body).digest("base64")}`;
}
