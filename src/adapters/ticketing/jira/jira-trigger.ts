import { createHash } from "node:crypto";
import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { TicketTrigger, TriggerEvent, TriggerRequest } from "../../../domain/ports.js";
import { parseStrictJson } from "../../../http/json-body.js";
import { sharedSecretCheck, type SharedSecretAuth } from "../shared/webhook-auth.js";
import { jiraIssueRef } from "./jira-ticketing.js";

/** A smart value that rendered to nothing arrives as "" (or not at all): both mean absent. */
const blank = (value: unknown) => value === undefined || value === null || (typeof value === "string" && value.trim() === "");
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (blank(v) ? undefined : v), schema.optional());

const issueRef = z
  .union([z.string().max(100), z.number().int().positive().transform(String)])
  .transform((value, ctx) => {
    const ref = jiraIssueRef(value);
    if (ref === null) {
      ctx.addIssue({ code: "custom", message: "must be an issue key such as ITS-42 or a numeric issue id" });
      return z.NEVER;
    }
    return ref;
  });

// A hint only: one Verity cannot read (withheld, or a smart value that rendered oddly) is dropped, not refused.
const emailHint = z
  .unknown()
  .transform((v) => (typeof v === "string" && z.email().max(254).safeParse(v.trim()).success ? v.trim() : null));

const accountId = z.unknown().transform((v) => (typeof v === "string" && /^[A-Za-z0-9:_-]{1,128}$/.test(v.trim()) ? v.trim() : null));

const deliveryId = optional(
  z.union([
    z
      .string()
      .trim()
      .regex(/^[\x21-\x7e]{1,128}$/, "must be 1 to 128 printable characters without spaces"),
    z.number().int().nonnegative().safe().transform(String),
  ]),
);

/** `{{now}}` renders like `2026-12-07T01:02:03.4+0000`; epoch seconds or milliseconds are read too. */
const raisedAt = optional(
  z.union([z.string().max(64), z.number()]).transform((value, ctx) => {
    const at = readTime(value);
    if (at === null) {
      ctx.addIssue({ code: "custom", message: "must be an ISO 8601 time or epoch milliseconds" });
      return z.NEVER;
    }
    return at;
  }),
);

/** The body the Automation rule's "Send web request" action sends (docs/integrations/jira-service-management.md). */
const bodySchema = z.object({
  issueKey: issueRef,
  reporterEmail: emailHint.optional(),
  actor: accountId.optional(),
  id: deliveryId,
  at: raisedAt,
});

type TriggerBody = z.output<typeof bodySchema>;

function readTime(value: string | number): Date | null {
  const raw = typeof value === "string" ? value.trim() : value;
  const numeric = typeof raw === "number" ? raw : /^\d{9,16}$/.test(raw) ? Number(raw) : null;
  if (numeric !== null) {
    const at = new Date(numeric < 1e11 ? numeric * 1000 : numeric);
    return Number.isNaN(at.getTime()) ? null : at;
  }
  const text = String(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const at = new Date(text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * Without an `id` in the body, the delivery id is derived from the issue and a hash of what the
 * body says, including its `at` (`{{now}}`): one press renders one body, so a resend of it is
 * the same delivery and the next press is a new one. A body without `at` adds the minute it
 * arrived, so a resend within that minute is one press and a press a minute later is another.
 */
function derivedDeliveryId(body: TriggerBody, receivedAt: Date): string {
  const said = JSON.stringify([body.issueKey, body.reporterEmail ?? null, body.actor ?? null, body.at?.getTime() ?? null]);
  const hash = createHash("sha256").update(said).digest("base64url").slice(0, 22);
  return body.at === undefined ? `${body.issueKey}:${hash}:${Math.floor(receivedAt.getTime() / 60_000)}` : `${body.issueKey}:${hash}`;
}

function parseBody(request: TriggerRequest): TriggerBody {
  const parsed = bodySchema.safeParse(parseStrictJson(request.rawBody));
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.map(String).join(".") ?? "";
    throw new VerityError("VALIDATION_FAILED", {
      message: `The Jira automation body is not valid${path === "" ? "" : ` at ${path}`}: send {"issueKey": "{{issue.key}}", ...} as the rule's custom data.`,
    });
  }
  return parsed.data;
}

/**
 * Jira Service Management's "Verify caller": an Automation rule (manual trigger from the issue
 * view) whose "Send web request" action POSTs Verity's custom body with a secret header. Automation
 * signs nothing, so the secret (and optionally Atlassian's egress addresses) is the only proof,
 * and the request's reporter is always read back from Jira before anything is sent.
 */
export function createJsmTrigger(auth: SharedSecretAuth, options: { log?: { warn(o: object, m: string): void } } = {}): TicketTrigger {
  const check = sharedSecretCheck(auth, options.log);
  return {
    authenticate: (request) => Promise.resolve().then(() => check(request)),
    parse(request): TriggerEvent[] {
      const body = parseBody(request);
      return [
        {
          deliveryId: body.id ?? derivedDeliveryId(body, request.receivedAt),
          ticket: body.issueKey,
          raisedAt: body.at ?? request.receivedAt,
          agent: body.actor ?? null,
          emailHint: body.reporterEmail ?? null,
        },
      ];
    },
  };
}
