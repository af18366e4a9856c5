import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";

/** One "Verify User" press in the runbook-compatible body. */
export interface HaloRunbookDelivery {
  /** Halo's id for the delivery: the idempotency key. */
  readonly deliveryId: string;
  /** When Halo raised it; `null` when absent or not a date Verity can read. */
  readonly timestamp: Date | null;
  /** The ticket's end user, as Halo sent it (trimmed). */
  readonly email: string;
  readonly ticketId: number;
}

/** A webhook body, in either of the two formats Verity accepts. */
export type HaloWebhook =
  | { readonly format: "runbook"; readonly deliveries: readonly HaloRunbookDelivery[] }
  | {
      readonly format: "halo";
      readonly deliveryId: string;
      readonly webhookId: string | null;
      readonly event: string;
      readonly timestamp: Date | null;
      readonly ticketId: number;
      /** The agent whose action raised the event, when Halo says. */
      readonly agentId: number | null;
      readonly ticketUserId?: number;
      readonly ticketUserEmail?: string;
    };

const MAX_DELIVERIES = 100;
const MAX_DEPTH = 32;
const MAX_NODES = 20_000;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const deliveryId = z.union([
  z.string().trim().regex(/^[\x21-\x7e]{1,128}$/, "must be 1 to 128 printable characters without spaces"),
  z.number().int().nonnegative().safe().transform(String),
]);

const positiveInt = z.union([
  z.number(),
  z.string().trim().regex(/^\d{1,16}$/, "must be a whole number").transform(Number),
]).pipe(
  z
    .number()
    .min(1, "must be positive")
    .max(Number.MAX_SAFE_INTEGER, "is too large")
    .refine(Number.isInteger, "must be a whole number"),
);

const timestamp = z
  .union([z.string().max(64, "is too long"), z.number()])
  .optional()
  .transform((value) => {
    if (value === undefined) return null;
    const at = new Date(typeof value === "number" ? value : value.trim());
    return Number.isNaN(at.getTime()) ? null : at;
  });

const email = z.string().trim().max(254, "must be at most 254 characters").pipe(z.email("must be an email address"));

const runbookSchema = z
  .array(
    z.object({
      id: deliveryId,
      timestamp,
      content: z.object({ HaloUser: email, TicketID: positiveInt }),
    }),
  )
  .min(1, "must hold at least one delivery")
  .max(MAX_DELIVERIES, `must hold at most ${MAX_DELIVERIES} deliveries`);

const optionalInt = positiveInt.optional().catch(undefined);

const haloPayloadSchema = z
  .object({
    id: deliveryId,
    webhook_id: deliveryId.optional(),
    event: z.string().trim().min(1).max(200, "must be at most 200 characters"),
    object_id: positiveInt.optional(),
    agent_id: optionalInt,
    timestamp,
    ticket: z
      .object({
        id: positiveInt,
        user_id: optionalInt,
        user: z.object({ id: optionalInt, emailaddress: email.optional().catch(undefined) }).optional().catch(undefined),
      })
      .optional(),
  })
  .superRefine((payload, ctx) => {
    if (payload.ticket === undefined && payload.object_id === undefined) {
      ctx.addIssue({ code: "custom", path: ["object_id"], message: "a ticket id (ticket.id or object_id) is required" });
    }
  });

/**
 * Reads a HaloPSA webhook body (already JSON-parsed) after its credentials were checked. Two
 * formats are accepted:
 * - the runbook's array `[{ id, timestamp, content: { HaloUser, TicketID } }]`, HaloUser being
 *   the end user's email and TicketID a number or numeric string;
 * - Halo's own payload `{ id, webhook_id, event, object_id, agent_id?, timestamp, ticket? }`,
 *   with batching off (one object per delivery).
 *
 * Extra fields are ignored. `__proto__`/`constructor` keys, deep nesting and oversized values are
 * refused. The user email in a Halo payload (`ticket.user.emailaddress`) is only a hint: re-read
 * the ticket through the API before acting on it.
 *
 * @throws VerityError VALIDATION_FAILED naming the first problem, without echoing values.
 */
export function parseHaloWebhook(body: unknown): HaloWebhook {
  const forbidden = inspectShape(body);
  if (forbidden !== undefined) throw invalid(forbidden);
  if (Array.isArray(body)) {
    if (looksLikeBatchedHalo(body)) {
      throw invalid("a list of Halo webhook objects arrived: turn batching off on the Halo webhook");
    }
    const parsed = runbookSchema.safeParse(body);
    if (!parsed.success) throw invalidIssue(parsed.error);
    return {
      format: "runbook",
      deliveries: parsed.data.map((d) => ({
        deliveryId: d.id,
        timestamp: d.timestamp,
        email: d.content.HaloUser,
        ticketId: d.content.TicketID,
      })),
    };
  }
  if (typeof body !== "object" || body === null) {
    throw invalid("expected the runbook's JSON array or a Halo webhook object");
  }
  const parsed = haloPayloadSchema.safeParse(body);
  if (!parsed.success) throw invalidIssue(parsed.error);
  const p = parsed.data;
  const userId = p.ticket?.user?.id ?? p.ticket?.user_id;
  const userEmail = p.ticket?.user?.emailaddress;
  return {
    format: "halo",
    deliveryId: p.id,
    webhookId: p.webhook_id ?? null,
    event: p.event.replace(/\p{Cc}+/gu, " "),
    timestamp: p.timestamp,
    // For action events object_id is the action, so the ticket object wins when Halo sends one.
    ticketId: p.ticket?.id ?? (p.object_id as number),
    agentId: p.agent_id ?? null,
    ...(userId === undefined ? {} : { ticketUserId: userId }),
    ...(userEmail === undefined ? {} : { ticketUserEmail: userEmail }),
  };
}

function looksLikeBatchedHalo(body: readonly unknown[]): boolean {
  const first: unknown = body[0];
  return typeof first === "object" && first !== null && "event" in first && !("content" in first);
}

/** Walks the body once: refuses prototype keys, deep nesting and absurd sizes before zod runs. */
function inspectShape(body: unknown): string | undefined {
  let nodes = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels is not allowed`;
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `a "${key}" key is not allowed`;
      if (++nodes > MAX_NODES) return "the body has too many elements";
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return undefined;
}

function invalidIssue(error: z.ZodError): VerityError {
  const issue = error.issues[0];
  const path = issue === undefined ? "" : issue.path.map(String).join(".");
  return invalid(`${path === "" ? "" : `${path}: `}${issue?.message ?? "not valid"}`, path);
}

function invalid(problem: string, path?: string): VerityError {
  return new VerityError("VALIDATION_FAILED", {
    message: `The HaloPSA webhook body is not valid: ${problem}.`,
    ...(path === undefined || path === "" ? {} : { details: { path } }),
  });
}
