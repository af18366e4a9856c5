import { ASSURANCE_LEVELS } from "../domain/assurance.js";
import { z } from "zod";
import { ERRORS } from "../domain/errors.js";
import { VERIFICATION_STATES } from "../domain/verification.js";
import { ROLES } from "../store/token-dal.js";

/** Text a person typed: bounded, and free of control characters (no CR/LF into notes or logs). */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, "must not contain control characters");

export const verificationIdParams = z.strictObject({ id: z.uuid("not a verification id") });

export const startBody = z
  .strictObject({
    user: text(254).describe("Directory id, UPN or email of the caller's account"),
    method: z
      .string()
      .max(40)
      .regex(/^[a-z0-9-]+$/, "a method such as sms, email, vip-push")
      .describe("sms, email, <provider>-push or <provider>-passcode"),
    tenant: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .optional()
      .describe("Tenant id; by default the user's email domain decides"),
    ticket: text(64).nullish().describe("PSA ticket reference"),
    ticketSystem: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .nullish()
      .describe("The ticketing system (its name under `ticketing` in the configuration) the ticket is in; by default the tenant's first"),
    reason: text(500).nullish().describe("Why the caller is being verified"),
    technician: text(100).optional().describe("Agent name; honoured for admin (integration) tokens only"),
    pushTitle: text(100).optional().describe("Push methods: the prompt's title instead of the tenant's wording"),
    pushMessage: text(250).optional().describe("Push methods: the prompt's text instead of the tenant's wording"),
    overrideFraudFlag: z
      .boolean()
      .optional()
      .describe("Admins only: verify a caller who reported fraud in the last 24 hours (audited); refused without it (409 CALLER_FLAGGED)"),
  })
  .describe("StartVerification");

export const checkBody = z
  .strictObject({ code: z.string().max(64).describe("The digits the caller read out, as a string") })
  .describe("CheckCode");

export const cancelBody = z.strictObject({ reason: text(500).optional() }).describe("CancelVerification");

export const tokenBody = z
  .strictObject({
    name: text(64),
    role: z.enum(ROLES),
    tenants: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/)).min(1).optional(),
  })
  .describe("CreateToken");

export const auditQuery = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).optional(),
  since: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  tenant: z.string().max(63).optional(),
  verification: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const lookupQuery = z.strictObject({ tenant: z.string().max(63).optional() });

export const searchQuery = z.strictObject({ q: z.string().trim().min(2, "type at least two characters").max(100) });

// ---- responses (documented in OpenAPI; tests parse real responses with them) -------------------

const riskSchema = z.strictObject({
  decision: z.enum(["allow", "warn", "second_method", "block"]),
  signals: z.array(z.strictObject({ code: z.string(), detail: z.string(), action: z.string() })),
  assurance: z.strictObject({ level: z.enum(ASSURANCE_LEVELS), orTwoMethods: z.boolean() }).optional().describe("What policy asked of this caller at the start"),
});

export const verificationView = z
  .strictObject({
    id: z.uuid(),
    tenant: z.strictObject({ id: z.string(), name: z.string() }),
    subject: z.strictObject({ id: z.string(), displayName: z.string() }),
    method: z.string(),
    methodKind: z.enum(["code", "push", "passcode", "link", "signin", "faceid", "approval"]),
    state: z.enum(VERIFICATION_STATES),
    stateReason: z.string().nullable(),
    final: z.boolean(),
    technician: z.string(),
    ticket: z.string().nullable(),
    reason: z.string().nullable(),
    destination: z.string().nullable().describe("Masked phone number or email; never the full value"),
    challenge: z.string().nullable().describe("Number-matching challenge to read to the caller"),
    checks: z.strictObject({ used: z.number().int(), max: z.number().int(), remaining: z.number().int() }),
    sends: z.number().int(),
    risk: riskSchema,
    secondMethod: z
      .strictObject({ required: z.literal(true), satisfiedBy: z.string().nullable(), satisfiedByMethod: z.string().nullable() })
      .nullable()
      .describe("Present when policy asks for a second, different method: the verification that satisfied it, if any"),
    policySatisfied: z
      .boolean()
      .nullable()
      .describe("Verified, by a second method too when policy asks for one, and at the assurance policy requires; null while open, false for any other ending"),
    assurance: z
      .strictObject({
        level: z.enum(ASSURANCE_LEVELS),
        rank: z.number().int().min(1).max(5),
        words: z.string(),
        required: z.enum(ASSURANCE_LEVELS).nullable().describe("What policy asks of this caller; null: nothing beyond a verified caller"),
        satisfied: z.boolean().nullable(),
        stillNeeded: z.string().nullable().describe("What is still needed, in words"),
      })
      .describe("The assurance this method reaches (docs/assurance.md) and what policy asks"),
    developmentOnly: z.boolean().describe("True when a development channel or provider carried it"),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string(),
    completedAt: z.string().nullable(),
    receipt: z
      .strictObject({ seq: z.number().int(), hash: z.string(), eventId: z.string(), action: z.string() })
      .nullable()
      .describe("For a final verification, the audit event that recorded its end (seq and chain hash): a receipt to check against the audit log and its anchors. Null while open"),
  })
  .describe("Verification");

export const checkView = z
  .strictObject({
    outcome: z.enum(["verified", "incorrect", "rejected"]),
    attemptsRemaining: z.number().int(),
    verification: verificationView,
  })
  .describe("CheckResult");

export const searchView = z
  .strictObject({
    matches: z.array(
      z.strictObject({
        tenant: z.strictObject({ id: z.string(), name: z.string() }),
        id: z.string().describe("The directory id: look the caller up by it"),
        displayName: z.string(),
        upn: z.string().describe("Masked"),
      }),
    ),
    unavailable: z.array(z.strictObject({ tenant: z.string(), reason: z.string() })),
  })
  .describe("CallerSearch");

export const lookupView = z
  .strictObject({
    tenant: z.strictObject({ id: z.string(), name: z.string() }),
    user: z.strictObject({ id: z.string(), displayName: z.string(), upn: z.string(), privileged: z.boolean() }),
    factors: z.array(
      z.strictObject({ type: z.string(), destination: z.string(), usable: z.boolean(), note: z.string().nullable() }),
    ),
    methods: z.array(
      z.strictObject({ method: z.string(), available: z.boolean(), destination: z.string().nullable(), detail: z.string() }),
    ),
    risk: riskSchema,
    assurance: z.strictObject({
      required: z.enum(ASSURANCE_LEVELS).describe("What policy asks of this caller"),
      requiredWords: z.string(),
      orTwoMethods: z.boolean().describe("Whether two verified, different methods stand in for the level"),
      byMethod: z.record(z.string(), z.enum(ASSURANCE_LEVELS)).describe("The level each enabled method is sure to reach"),
    }),
    fraudFlag: z.string().nullable().describe("Set when the caller reported fraud in the last 24 hours: a new verification needs an administrator's override"),
  })
  .describe("UserLookup");

export const errorView = z
  .strictObject({
    code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .describe("Error");

export const auditEventView = z
  .strictObject({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    tenantId: z.string().nullable(),
    actor: z.string(),
    action: z.string(),
    subjectId: z.string().nullable(),
    verificationId: z.string().nullable(),
    ticket: z.string().nullable(),
    method: z.string().nullable(),
    destinationMasked: z.string().nullable(),
    destinationHash: z.string().nullable(),
    outcome: z.string().nullable(),
    reason: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .describe("AuditEvent");

export const auditPage = z
  .strictObject({ events: z.array(auditEventView), nextAfterSeq: z.number().int().nullable() })
  .describe("AuditPage");

export const chainReport = z
  .strictObject({
    ok: z.boolean(),
    count: z.number().int(),
    head: z.strictObject({ seq: z.number().int(), hash: z.string() }),
    problem: z.strictObject({ seq: z.number().int(), id: z.string().nullable(), problem: z.string() }).nullable(),
    anchor: z
      .strictObject({
        seq: z.number().int(),
        hash: z.string(),
        at: z.string().nullable(),
        source: z.string(),
        verdict: z.enum(["matches", "differs", "missing", "unchecked"]),
      })
      .nullable()
      .describe("The anchor from the server's anchor files that decided the check: the first the chain fails, else the newest; null when there is none"),
    anchorsChecked: z.number().int().describe("How many distinct anchors were compared with the chain"),
    anchorFiles: z.array(z.string()).describe("The anchor files configured; empty means nothing outside the database was checked"),
    anchorLines: z
      .array(z.strictObject({ source: z.string(), line: z.number().int(), problem: z.enum(["forged", "unreadable"]) }))
      .describe("Anchor lines that do not verify: forged ones make ok false; unreadable ones are writes cut short"),
  })
  .describe("ChainReport");

export const tokenCreated = z
  .strictObject({
    token: z.string().describe("Shown once; store it now"),
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    tenants: z.array(z.string()).nullable(),
  })
  .describe("TokenCreated");

export const healthView = z.strictObject({ status: z.enum(["ok", "unavailable"]), checks: z.record(z.string(), z.string()).optional() });
