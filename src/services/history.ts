import { sql, type ExpressionBuilder, type Expression, type SqlBool } from "kysely";
import { z } from "zod";
import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { VerityError } from "../domain/errors.js";
import { VERIFICATION_STATES, type Verification } from "../domain/verification.js";
import { ENDING_ACTIONS } from "../domain/audit-actions.js";
import { firstVerificationEvents, streamAuditEvents } from "../store/audit-dal.js";
import type { Database } from "../store/schema.js";
import { toVerification } from "../store/verification-dal.js";
import { PERSON_ACTOR_PREFIXES, type Actor } from "./actor.js";
import { loadVerification, type EngineDeps } from "./engine-deps.js";
import { expireIfDue } from "./lifecycle.js";
import { presentVerification, type VerificationView } from "./views.js";

/** Which history a technician sees: their own (and their integrations') or all of their tenants'. */
export type HistoryScope = "own" | "tenant";

const OPEN_STATES = ["pending", "sent", "delivery_unknown"] as const;
const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());
const text = (max: number) => z.string().trim().min(1).max(max);

/** What history can be filtered by; every field is optional and they all apply together. */
export const historyFilterSchema = z.strictObject({
  tenant: text(63).optional(),
  /** Who started it: their actor id (`user:…`, `token:…`), or part of the name recorded. */
  technician: text(254).optional(),
  /** The caller: their directory id, or part of their name (case-insensitive). */
  caller: text(254).optional(),
  /** A state, or `open` for every state still waiting. */
  outcome: z.enum([...VERIFICATION_STATES, "open"]).optional(),
  method: text(40).optional(),
  /** Started at or after this instant. */
  from: instant.optional(),
  /** Started before this instant. */
  to: instant.optional(),
  /** Where the previous page ended (its `next`). */
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type HistoryFilter = z.input<typeof historyFilterSchema>;
type Filter = z.output<typeof historyFilterSchema>;

export interface HistoryPage {
  /** Newest first. */
  readonly items: readonly VerificationView[];
  /** The cursor of the next (older) page; null on the last. */
  readonly next: string | null;
  /** What the filter form can offer this person: their tenants and those tenants' methods. */
  readonly choices: { readonly tenants: readonly { id: string; name: string }[]; readonly methods: readonly string[] };
}

/** A verification as evidence: the view and every audit event about it, in chain order. */
export interface Evidence {
  readonly verification: VerificationView;
  readonly events: readonly ChainedAuditEvent[];
}

type Where = (eb: ExpressionBuilder<Database, "verifications">) => Expression<SqlBool>;

const cursorSchema = z.tuple([z.iso.datetime(), z.string().min(1).max(100)]);
const encodeCursor = (v: { createdAt: string; id: string }) => Buffer.from(JSON.stringify([v.createdAt, v.id])).toString("base64url");
function decodeCursor(cursor: string): [string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new VerityError("VALIDATION_FAILED", { message: "The page link is not valid; start again from the first page." });
  }
}

export function parseHistoryFilter(input: unknown): Filter {
  const parsed = historyFilterSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const which = issue === undefined || issue.path.length === 0 ? "filter" : `${issue.path.join(".")} filter`;
    throw new VerityError("VALIDATION_FAILED", { message: `The ${which} is not valid: ${issue?.message ?? "unreadable"}.` });
  }
  if (parsed.data.cursor !== undefined) decodeCursor(parsed.data.cursor);
  return parsed.data;
}

/** `%text%` for LIKE, with the text's own wildcards taken literally. */
const contains = (value: string) => `%${value.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const like = (column: "subject_name" | "technician", value: string) => sql<SqlBool>`lower(${sql.ref(column)}) like ${contains(value)} escape '\\'`;

/**
 * Who sees what, as a condition of the query itself (so paging and counts never see a row the
 * person may not): admins and auditors every verification in their tenants; technicians their own
 * and those an integration started in their tenants, or all their tenants' with scope `tenant`;
 * verifiers only their own.
 */
function visibleTo(actor: Actor, scope: HistoryScope): Where {
  return (eb) => {
    const parts: Expression<SqlBool>[] = [];
    if (actor.tenants !== null) parts.push(actor.tenants.length === 0 ? sql<SqlBool>`1 = 0` : eb("tenant_id", "in", [...actor.tenants]));
    const own = eb("created_by", "=", actor.id);
    const byIntegration = eb.and(PERSON_ACTOR_PREFIXES.map((p) => eb(eb.fn<string>("substr", ["created_by", sql.lit(1), sql.lit(p.length)]), "!=", p)));
    if (actor.role === "verifier") parts.push(own);
    else if (actor.role === "technician" && scope === "own") parts.push(eb.or([own, byIntegration]));
    else if (!["technician", "admin", "auditor"].includes(actor.role)) parts.push(sql<SqlBool>`1 = 0`);
    return eb.and(parts);
  };
}

/** The same rule for one verification (a detail page opened by its address). */
export function canSeeInHistory(actor: Actor, v: Verification, scope: HistoryScope): boolean {
  if (actor.tenants !== null && !actor.tenants.includes(v.tenantId)) return false;
  const own = v.createdBy === actor.id;
  if (actor.role === "verifier") return own;
  if (actor.role === "technician") return scope === "tenant" || own || !PERSON_ACTOR_PREFIXES.some((p) => v.createdBy.startsWith(p));
  return actor.role === "admin" || actor.role === "auditor";
}

function matching(filter: Filter): Where {
  return (eb) => {
    const parts: Expression<SqlBool>[] = [];
    if (filter.tenant !== undefined) parts.push(eb("tenant_id", "=", filter.tenant));
    if (filter.technician !== undefined) parts.push(eb.or([eb("created_by", "=", filter.technician), like("technician", filter.technician)]));
    if (filter.caller !== undefined) parts.push(eb.or([eb("subject_id", "=", filter.caller), like("subject_name", filter.caller)]));
    if (filter.outcome === "open") parts.push(eb("state", "in", [...OPEN_STATES]));
    else if (filter.outcome !== undefined) parts.push(eb("state", "=", filter.outcome));
    if (filter.method !== undefined) parts.push(eb("method", "=", filter.method));
    if (filter.from !== undefined) parts.push(eb("created_at", ">=", filter.from));
    if (filter.to !== undefined) parts.push(eb("created_at", "<", filter.to));
    if (filter.cursor !== undefined) {
      const [at, id] = decodeCursor(filter.cursor);
      parts.push(eb.or([eb("created_at", "<", at), eb.and([eb("created_at", "=", at), eb("id", "<", id)])]));
    }
    return eb.and(parts);
  };
}

async function page(deps: EngineDeps, actor: Actor, scope: HistoryScope, filter: Filter): Promise<{ rows: Verification[]; next: string | null }> {
  const rows = await deps.db
    .selectFrom("verifications")
    .selectAll()
    .where(visibleTo(actor, scope))
    .where(matching(filter))
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit + 1)
    .execute();
  const found = rows.slice(0, filter.limit).map(toVerification);
  const last = found.at(-1);
  return { rows: found, next: rows.length > filter.limit && last !== undefined ? encodeCursor(last) : null };
}

/** History's part of the engine (see VerificationEngine): the list, its stream for CSV, a verification's evidence. */
export interface History {
  readonly list: (actor: Actor, filter: HistoryFilter) => Promise<HistoryPage>;
  readonly streamList: (actor: Actor, filter: HistoryFilter) => AsyncIterable<VerificationView>;
  readonly evidence: (actor: Actor, id: string) => Promise<Evidence>;
}

export function createHistory(deps: EngineDeps, scope: HistoryScope): History {
  const present = (v: Verification) => presentVerification(deps, v);
  // A page's receipts in one query rather than one per row.
  const presentAll = async (rows: readonly Verification[]) => {
    const receipts = await firstVerificationEvents(deps.db, rows.map((v) => v.id), ENDING_ACTIONS);
    return Promise.all(
      rows.map((v) => {
        const r = receipts.get(v.id);
        return presentVerification(deps, v, { receipt: r === undefined ? null : { seq: r.seq, hash: r.hash, eventId: r.id, action: r.action } });
      }),
    );
  };
  const choices = (actor: Actor): HistoryPage["choices"] => {
    const tenants = deps.tenants.all().filter((t) => actor.tenants === null || actor.tenants.includes(t.id));
    return {
      tenants: tenants.map((t) => ({ id: t.id, name: t.name })),
      methods: [...new Set(tenants.flatMap((t) => [...t.methods.keys()]))].sort(),
    };
  };

  return {
    list: async (actor, input) => {
      const { rows, next } = await page(deps, actor, scope, parseHistoryFilter(input));
      return { items: await presentAll(rows), next, choices: choices(actor) };
    },

    // The filter is parsed at once, so a bad one throws before a response has begun.
    streamList: (actor, input) => {
      const filter = { ...parseHistoryFilter(input), limit: 200 };
      return (async function* () {
        let cursor = filter.cursor;
        for (;;) {
          const { rows, next } = await page(deps, actor, scope, { ...filter, ...(cursor === undefined ? {} : { cursor }) });
          yield* await presentAll(rows);
          if (next === null) return;
          cursor = next;
        }
      })();
    },

    evidence: async (actor, id) => {
      const v = await loadVerification(deps, id);
      if (!canSeeInHistory(actor, v, scope)) throw new VerityError("FORBIDDEN", { message: "This verification is not in the history you may see." });
      const verification = await present(await expireIfDue(deps, v));
      const events: ChainedAuditEvent[] = [];
      for await (const event of streamAuditEvents(deps.db, { verificationId: v.id })) events.push(event);
      return { verification, events };
    },
  };
}
