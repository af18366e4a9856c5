import { createHash } from "node:crypto";
import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";

/**
 * What Verity reads from an Autotask webhook delivery. The layout is UNCONFIRMED beyond the keys
 * public receivers use: `{Action, Guid, EntityType, Id, Fields: {…}, EventTime, SequenceNumber,
 * PersonID}`. `Guid` names the webhook, not the delivery.
 */
export type AutotaskWebhook =
  | {
      readonly kind: "ticket";
      readonly guid: string;
      readonly ticketId: number;
      /** The resource that made the change (`PersonID`, else `LastActivityResourceID`). */
      readonly agentId: number | null;
      /** Looks a field up by name in `Fields` (or the top level, or `UserDefinedFields`), ignoring case and spaces. */
      readonly field: (name: string) => unknown;
    }
  | { readonly kind: "deactivated"; readonly guid: string }
  | { readonly kind: "ignored"; readonly reason: string };

const id = z.union([z.number().int().positive().safe(), z.string().trim().regex(/^\d{1,15}$/).transform(Number)]);
const optionalId = id.optional().catch(undefined);

const payloadSchema = z.object({
  Action: z.string().trim().min(1).max(50),
  Guid: z.string().trim().max(100).optional().catch(undefined),
  EntityType: z.string().trim().max(100).optional().catch(undefined),
  Id: id.optional(),
  PersonID: optionalId,
  Fields: z.record(z.string(), z.unknown()).optional().catch(undefined),
});

const udfList = z.array(z.object({ name: z.string().max(200).optional(), Name: z.string().max(200).optional(), value: z.unknown(), Value: z.unknown() }).partial());

const squash = (name: string) => name.replace(/[\s_-]+/g, "").toLowerCase();

/**
 * Reads an authenticated delivery's JSON. Only `Action` Create or Update on `EntityType` Ticket
 * with an `Id` starts anything; Delete and other entities are `ignored`, `Deactivated` is its own kind.
 *
 * @throws VerityError VALIDATION_FAILED naming the first problem, without echoing values
 */
export function parseAutotaskWebhook(body: unknown): AutotaskWebhook {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("expected a JSON object");
  const parsed = payloadSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "not valid"}`);
  }
  const p = parsed.data;
  const guid = (p.Guid ?? "").replace(/[^A-Za-z0-9-]/g, "").slice(0, 64) || "no-guid";
  const action = p.Action.toLowerCase();
  if (action === "deactivated") return { kind: "deactivated", guid };
  if (action !== "create" && action !== "update") return { kind: "ignored", reason: `action ${p.Action.replace(/[^A-Za-z]/g, "").slice(0, 20)}` };
  if (p.EntityType !== undefined && !/^tickets?$/i.test(p.EntityType)) {
    return { kind: "ignored", reason: `entity type ${p.EntityType.replace(/[^A-Za-z]/g, "").slice(0, 40)}` };
  }
  if (p.Id === undefined) throw invalid("Id: the ticket id is required");
  const fields = p.Fields ?? {};
  const top = body as Record<string, unknown>;
  const field = (name: string): unknown => {
    const wanted = squash(name);
    for (const source of [fields, top]) {
      for (const [key, value] of Object.entries(source)) if (squash(key) === wanted) return value;
    }
    for (const source of [fields, top]) {
      const udfs = udfList.safeParse(source.UserDefinedFields ?? source.userDefinedFields);
      if (!udfs.success) continue;
      const hit = udfs.data.find((u) => squash(u.name ?? u.Name ?? "") === wanted);
      if (hit !== undefined) return hit.value ?? hit.Value;
    }
    return undefined;
  };
  const lastActivity = optionalId.safeParse(field("LastActivityResourceID"));
  const agentId = p.PersonID ?? (lastActivity.success ? lastActivity.data : undefined) ?? null;
  return { kind: "ticket", guid, ticketId: p.Id, agentId, field };
}

/** Whether a field's value in the payload is `expected` (compared as trimmed text, ignoring case). */
export function fieldShows(value: unknown, expected: string): boolean {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return false;
  return String(value).trim().toLowerCase() === expected.trim().toLowerCase();
}

/**
 * Autotask sends no delivery id (UNCONFIRMED), so one is derived: the webhook's Guid, the ticket
 * and a hash of the exact body. A resent delivery (same bytes) is the same press; another change
 * to the ticket carries another event time or sequence number, so it is a new press.
 */
export function autotaskDeliveryId(guid: string, ticketId: number, rawBody: Buffer | string): string {
  const digest = createHash("sha256").update(rawBody).digest("base64url").slice(0, 22);
  return `${guid}:${ticketId}:${digest}`;
}

function invalid(problem: string): VerityError {
  return new VerityError("VALIDATION_FAILED", { message: `The Autotask webhook body is not valid: ${problem}.` });
}
