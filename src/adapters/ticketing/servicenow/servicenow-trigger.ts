import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { TicketTrigger, TriggerEvent } from "../../../domain/ports.js";
import { parseStrictJson } from "../../../http/json-body.js";
import { sharedSecretCheck, singleHeader, type SharedSecretAuth } from "../shared/webhook-auth.js";
import { TASK_NUMBER } from "./servicenow-client.js";
import type { SnowTable } from "./servicenow-config.js";
import { SYS_ID } from "./servicenow-schemas.js";

const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullable()
    .optional()
    .transform((v) => (v === undefined || v === null || v.trim() === "" ? null : v.trim()));

/**
 * The body Verity's UI Action script sends (docs/integrations/servicenow.md). Extra fields are
 * ignored, so an administrator may add their own without breaking it.
 */
const pressBody = z
  .object({
    /** gs.generateGUID() (32 hex) or any UUID: the delivery id. */
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/),
    table: z.string().max(80),
    sys_id: z.string().regex(SYS_ID).optional(),
    number: z.string().regex(TASK_NUMBER).optional(),
    /** gs.getUserName() of the agent who pressed. */
    requestedBy: optionalText(100),
    /** The caller's email as the form shows it: a hint only, checked against the ticket. */
    callerEmail: optionalText(254).refine((v) => v === null || /^[^\s@]+@[^\s@]+$/.test(v), { message: "an email address" }),
    /** Unix seconds (GlideDateTime.getNumericValue() / 1000), or an ISO 8601 time. */
    timestamp: z.union([z.number().positive(), z.iso.datetime({ offset: true })]).optional(),
  })
  .refine((b) => b.sys_id !== undefined || b.number !== undefined, { message: "send sys_id or number", path: ["number"] });

function raisedAt(timestamp: number | string | undefined): Date | null {
  if (timestamp === undefined) return null;
  if (typeof timestamp === "string") return new Date(timestamp);
  // Seconds, as the script sends; a millisecond value (GlideDateTime's own unit) is read as such.
  return new Date(timestamp > 1e11 ? timestamp : timestamp * 1000);
}

/**
 * ServiceNow's "Verify caller" UI Action: a server-side script POSTs Verity's own body to
 * `/hooks/ticketing/<name>`, signed with Standard Webhooks (GlideCertificateEncryption.generateMac,
 * HmacSHA256) or carrying Basic credentials or a token. The body names the ticket; who it is for
 * is read back from the Table API before anything is sent, and a `callerEmail` that differs from
 * the ticket's caller is refused by the engine.
 */
export function createSnowTrigger(auth: SharedSecretAuth, tables: readonly SnowTable[], options: { log?: { warn(o: object, m: string): void } } = {}): TicketTrigger {
  const check = sharedSecretCheck(auth, options.log);
  return {
    authenticate: (request) => Promise.resolve().then(() => check(request)),
    parse(request): TriggerEvent[] {
      const parsed = pressBody.safeParse(parseStrictJson(request.rawBody));
      if (!parsed.success) {
        const path = parsed.error.issues[0]?.path.map(String).join(".") ?? "";
        throw new VerityError("VALIDATION_FAILED", {
          message: `The ServiceNow trigger body is not valid${path === "" ? "" : ` at ${path}`}: send {"id", "table", "sys_id" or "number", "requestedBy", "callerEmail", "timestamp"}.`,
        });
      }
      const b = parsed.data;
      if (!(tables as readonly string[]).includes(b.table)) {
        throw new VerityError("VALIDATION_FAILED", { message: `The trigger names a table this system does not act on; configured: ${tables.join(", ")}.` });
      }
      // With a signature the header id is what was signed; a body naming another delivery is not this one.
      const headerId = singleHeader(request.headers, "webhook-id");
      if (headerId !== undefined && headerId !== b.id) {
        throw new VerityError("VALIDATION_FAILED", { message: "The body's id differs from the webhook-id header: send the same id in both." });
      }
      return [{ deliveryId: b.id, ticket: b.number ?? (b.sys_id as string), raisedAt: raisedAt(b.timestamp), agent: b.requestedBy, emailHint: b.callerEmail }];
    },
  };
}
