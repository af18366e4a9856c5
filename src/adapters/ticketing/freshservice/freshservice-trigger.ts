import { createHash } from "node:crypto";
import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { TicketTrigger, TriggerEvent, TriggerRequest } from "../../../domain/ports.js";
import { parseStrictJson } from "../../../http/json-body.js";
import { sharedSecretCheck, type SharedSecretAuth } from "../shared/webhook-auth.js";
import { freshserviceTicketNumber } from "./freshservice-ticketing.js";

const MAX_BODY = 16_384;

// A placeholder Freshservice left unreplaced, or replaced with nothing, counts as absent.
const blank = (v: unknown) => v === null || v === undefined || (typeof v === "string" && (v.trim() === "" || v.includes("{{")));
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (blank(v) ? undefined : v), schema.optional());
const digits = z.union([z.number().int().positive().safe().transform(String), z.string().trim().regex(/^\d{1,15}$/)]);

/**
 * The body Verity accepts from the "Trigger Webhook" action; the administrator writes it from
 * placeholders (docs/integrations/freshservice.md). Only `ticket_id` is required; other keys are
 * ignored, so a body can carry more for other uses.
 */
const triggerBody = z.object({
  ticket_id: z.union([z.number().int().positive().safe().transform(String), z.string().trim().min(1).max(40)]),
  /** The requester's email: only a hint, compared with the ticket's own requester. */
  requester_email: optional(z.string().trim().max(254)),
  /** The agent the trigger names; anything but an id number is ignored. */
  agent_id: z.unknown().optional().transform((v) => digits.safeParse(v).data),
  /** An id unique to this press, if the body can carry one: the idempotency key. */
  event_id: optional(z.union([z.number().int().nonnegative().safe().transform(String), z.string().trim().regex(/^[\x21-\x7e]{1,128}$/, "1 to 128 printable characters without spaces")])),
  /** When the press happened (ISO 8601, or Unix seconds); the receipt time when absent. */
  timestamp: optional(z.union([z.string().max(64), z.number()])),
});

/**
 * Freshservice's "Trigger Webhook" action (Workflow Automator). Freshservice signs nothing: the
 * action presents Basic credentials or a secret header (and comes from `allowedSources`), and the
 * ticket's requester is always read back from Freshservice before anything is sent.
 *
 * The delivery id is the body's `event_id` when it has one; otherwise it is derived as
 * `fs:<ticket>:<first 16 hex of SHA-256 of the body>:<receipt minute>`, so the same body sent
 * twice within one clock minute is one press.
 */
export function createFreshserviceTrigger(auth: SharedSecretAuth, options: { log?: { warn(o: object, m: string): void } } = {}): TicketTrigger {
  const check = sharedSecretCheck(auth, options.log);
  return {
    authenticate: (request) => Promise.resolve().then(() => check(request)),
    parse: (request) => [parseFreshserviceTrigger(request)],
  };
}

/** One press from a "Trigger Webhook" body (exported for tests). */
export function parseFreshserviceTrigger(request: Pick<TriggerRequest, "rawBody" | "receivedAt">): TriggerEvent {
  if (request.rawBody.length > MAX_BODY) throw new VerityError("VALIDATION_FAILED", { message: `The trigger body is larger than ${MAX_BODY} bytes.` });
  const parsed = triggerBody.safeParse(parseStrictJson(request.rawBody));
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.map(String).join(".") ?? "";
    throw new VerityError("VALIDATION_FAILED", {
      message: `The Freshservice trigger body is not valid${path === "" ? "" : ` at ${path}`}: send {"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}"}.`,
    });
  }
  const body = parsed.data;
  const ticketNumber = freshserviceTicketNumber(body.ticket_id);
  if (ticketNumber === null) throw new VerityError("VALIDATION_FAILED", { message: "The Freshservice trigger body's ticket_id is not a ticket number." });
  const ticket = String(ticketNumber);
  const email = body.requester_email;
  return {
    deliveryId: body.event_id ?? derivedDeliveryId(ticket, request.rawBody, request.receivedAt),
    ticket,
    raisedAt: body.timestamp === undefined ? request.receivedAt : readTime(body.timestamp),
    agent: body.agent_id ?? null,
    emailHint: email !== undefined && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
  };
}

function derivedDeliveryId(ticket: string, rawBody: Buffer, receivedAt: Date): string {
  const hash = createHash("sha256").update(rawBody).digest("hex").slice(0, 16);
  return `fs:${ticket}:${hash}:${Math.floor(receivedAt.getTime() / 60_000)}`;
}

/** A time Verity can read, or null (refused as undated: freshness cannot be told). */
function readTime(value: string | number): Date | null {
  const ms = typeof value === "number" ? value * 1000 : /^\d{9,11}$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : null;
}
