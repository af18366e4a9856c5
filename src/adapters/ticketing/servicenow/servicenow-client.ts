import type { Logger } from "pino";
import type { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, ProbeResult } from "../../../domain/ports.js";
import { readJson } from "../../http/json.js";
import type { OutboundClientOptions, OutboundResponse, RetryMode } from "../../http/outbound.js";
import { createOutboundClient, OutboundError } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import { createSnowAuth } from "./servicenow-auth.js";
import type { SnowConfig, SnowTable } from "./servicenow-config.js";
import type { SnowOperation } from "./servicenow-errors.js";
import { snowApiError, snowTransportError, snowUnreadable } from "./servicenow-errors.js";
import type { SnowTask, SnowUser } from "./servicenow-schemas.js";
import { parseEach, SYS_ID, snowJournalSchema, snowList, snowSingle, snowTaskSchema, snowUserSchema } from "./servicenow-schemas.js";

export type { SnowTask, SnowUser } from "./servicenow-schemas.js";

/** Work notes longer than this are refused before they reach ServiceNow. */
const MAX_NOTE = 32_000;
const MAX_JOURNAL_PAGES = 50;
const TASK_FIELDS = "sys_id,number,caller_id,request_item,requested_for";
const USER_FIELDS = "sys_id,user_name,name,email";
/** What a task number looks like (INC0010001, SCTASK0010001, RITM0010001, or a custom prefix). */
export const TASK_NUMBER = /^[A-Z][A-Z0-9_]{0,11}\d{3,12}$/;
const USER_NAME = /^[\p{L}\p{N}._@+'-]{1,100}$/u;

/** The ServiceNow Table API calls Verity makes, as the integration user. */
export interface SnowClient {
  /**
   * One task by sys_id or number (`GET /api/now/v2/table/{table}…`); null when the table has no such record.
   * @throws VerityError UPSTREAM_AUTH_FAILED, TICKETING_ERROR or TICKETING_UNAVAILABLE.
   */
  findTask(table: SnowTable, ref: { readonly sysId: string } | { readonly number: string }): Promise<SnowTask | null>;
  /** A user by sys_id or by user_name; null when there is none. */
  findUser(ref: { readonly sysId: string } | { readonly userName: string }): Promise<SnowUser | null>;
  /**
   * `PATCH /api/now/v2/table/{table}/{sys_id}` with `{"work_notes": text}`: the journal agents
   * see, never `comments`, which the caller sees. Never repeated once it may have reached the
   * instance; on failure `details.ambiguous` says the note may exist anyway.
   */
  addWorkNote(table: SnowTable, sysId: string, text: string): Promise<void>;
  /**
   * Whether a work note on the record contains `marker` (sys_journal_field, element_id = sys_id,
   * element = work_notes, oldest first, paged). The query filters with LIKE when the marker holds
   * no query syntax; LIKE ignores case, so each value is checked exactly here.
   * @returns null when more than MAX_JOURNAL_PAGES pages would be needed.
   */
  workNotesContain(sysId: string, marker: string): Promise<boolean | null>;
  /** A connection test: a token (OAuth), one row of each table and of sys_user, and whether sys_journal_field is readable. Writes nothing; never rejects. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface SnowClientDeps {
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Tunes the outbound client's retry budget and backoff (defaults: 3 retries, 200 ms base). */
  readonly retry?: Pick<OutboundClientOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">;
  /** Rows per journal page (default 100). */
  readonly journalPageSize?: number;
}

interface ApiCall {
  readonly method: "GET" | "PATCH";
  readonly table: string;
  readonly sysId?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly retry: RetryMode;
}

/**
 * Creates the ServiceNow client: Basic or OAuth (token cached, renewed once on a 401), the v2
 * Table API (an empty query is `[]`, not v1's 404), bounded retries for reads with Retry-After
 * honoured on 429, and a single attempt for work notes.
 *
 * @example
 * ```ts
 * const snow = createSnowClient(snowConfigSchema.parse(raw), { clock: systemClock, log });
 * const incident = await snow.findTask("incident", { number: "INC0010001" });
 * ```
 */
export function createSnowClient(config: SnowConfig, deps: SnowClientDeps): SnowClient {
  const http = createOutboundClient({ name: "ServiceNow", timeoutMs: config.timeoutMs, log: deps.log, ...deps.retry, now: () => deps.clock.now().getTime() });
  const auth = createSnowAuth(config.instanceUrl, config.auth, { http, clock: deps.clock, log: deps.log });
  const pageSize = deps.journalPageSize ?? 100;

  const send = async (call: ApiCall, op: SnowOperation, authorization: string): Promise<OutboundResponse> => {
    const url = new URL(`${config.instanceUrl}/api/now/v2/table/${call.table}${call.sysId === undefined ? "" : `/${call.sysId}`}`);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, value);
    try {
      return await http.request({
        method: call.method,
        url,
        headers: { authorization, accept: "application/json", ...(call.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }) },
        ...(call.body === undefined ? {} : { body: call.body }),
        retry: call.retry,
      });
    } catch (error) {
      if (error instanceof OutboundError) throw snowTransportError(error, op);
      throw error;
    }
  };

  // A 401 means ServiceNow did not act on the request, so one retry with a fresh token is safe even for a note.
  const call = async (request: ApiCall, op: SnowOperation): Promise<OutboundResponse> => {
    const header = await auth.header();
    const response = await send(request, op, header);
    if (response.status !== 401 || !auth.renewable) return response;
    auth.invalidate(header);
    deps.log.warn({ service: "ServiceNow", operation: op.kind }, "ServiceNow refused the access token; fetching a new one");
    return send(request, op, await auth.header());
  };

  const read = async <T>(request: ApiCall, op: SnowOperation, schema: z.ZodType<T>): Promise<{ data: T; response: OutboundResponse }> => {
    const response = await call(request, op);
    if (response.status < 200 || response.status > 299) throw snowApiError(response, op, config.instanceUrl);
    const parsed = schema.safeParse(readJson(response.text));
    if (!parsed.success) throw snowUnreadable(op, config.instanceUrl);
    return { data: parsed.data, response };
  };

  /** A record by sys_id (404 = none) or the first row of a query (v2: [] = none). */
  const one = async <T>(table: string, ref: { sysId: string } | { query: string }, fields: string, op: SnowOperation, schema: z.ZodType<T>): Promise<T | null> => {
    const query = { sysparm_fields: fields, sysparm_exclude_reference_link: "true" };
    if ("sysId" in ref) {
      const response = await call({ method: "GET", table, sysId: ref.sysId, query, retry: "idempotent" }, op);
      if (response.status === 404) return null;
      if (response.status < 200 || response.status > 299) throw snowApiError(response, op, config.instanceUrl);
      const record = snowSingle.safeParse(readJson(response.text));
      if (!record.success) throw snowUnreadable(op, config.instanceUrl);
      const parsed = schema.safeParse(record.data);
      if (!parsed.success) throw snowUnreadable(op, config.instanceUrl);
      return parsed.data;
    }
    const { data } = await read({ method: "GET", table, query: { ...query, sysparm_query: ref.query, sysparm_limit: "2" }, retry: "idempotent" }, op, snowList);
    const rows = parseEach(data, schema);
    if (data.length > 1) throw new VerityError("TICKETING_ERROR", { message: `ServiceNow returned more than one record when trying to ${op.label}; refusing to guess.`, details: { operation: op.kind } });
    return rows[0] ?? null;
  };

  return {
    async findTask(table, ref) {
      if ("sysId" in ref) {
        const sysId = requireSysId(ref.sysId);
        return one(table, { sysId }, TASK_FIELDS, { label: `read ${table} ${sysId}`, kind: "ticket", table }, snowTaskSchema);
      }
      if (!TASK_NUMBER.test(ref.number)) throw new VerityError("VALIDATION_FAILED", { message: "A ServiceNow task number is letters then digits, such as INC0010001." });
      return one(table, { query: `number=${ref.number}` }, TASK_FIELDS, { label: `find ${table} ${ref.number}`, kind: "ticket", table }, snowTaskSchema);
    },
    async findUser(ref) {
      const op: SnowOperation = { label: "read a user", kind: "user", table: "sys_user" };
      if ("sysId" in ref) return one("sys_user", { sysId: requireSysId(ref.sysId) }, USER_FIELDS, op, snowUserSchema);
      if (!USER_NAME.test(ref.userName)) return null;
      return one("sys_user", { query: `user_name=${ref.userName}` }, USER_FIELDS, op, snowUserSchema);
    },
    async addWorkNote(table, id, text) {
      const sysId = requireSysId(id);
      if (text.trim() === "" || text.length > MAX_NOTE) {
        throw new VerityError("VALIDATION_FAILED", { message: `A work note must be 1 to ${MAX_NOTE} characters.` });
      }
      const op: SnowOperation = { label: `add a work note to ${table} ${sysId}`, kind: "note", table };
      const body = JSON.stringify({ work_notes: text });
      const response = await call({ method: "PATCH", table, sysId, query: { sysparm_fields: "sys_id" }, body, retry: "not-sent-only" }, op);
      if (response.status < 200 || response.status > 299) throw snowApiError(response, op, config.instanceUrl);
    },
    async workNotesContain(id, marker) {
      const sysId = requireSysId(id);
      const op: SnowOperation = { label: `read the work notes of ${sysId}`, kind: "journal", table: "sys_journal_field" };
      const like = /^[A-Za-z0-9 ._:-]{1,200}$/.test(marker) ? `^valueLIKE${marker}` : "";
      const sysparmQuery = `element_id=${sysId}^element=work_notes${like}^ORDERBYsys_created_on`;
      for (let page = 0, offset = 0; page < MAX_JOURNAL_PAGES; page += 1) {
        const query = { sysparm_query: sysparmQuery, sysparm_fields: "sys_id,value", sysparm_limit: String(pageSize), sysparm_offset: String(offset) };
        const { data, response } = await read({ method: "GET", table: "sys_journal_field", query, retry: "idempotent" }, op, snowList);
        if (parseEach(data, snowJournalSchema).some((j) => j.value.includes(marker))) return true;
        offset += data.length;
        const total = Number(response.headers["x-total-count"]);
        const more = Number.isFinite(total) ? offset < total : data.length === pageSize;
        if (!more || data.length === 0) return false;
      }
      deps.log.warn({ service: "ServiceNow" }, "too many work notes to search for a marker; reporting that Verity cannot tell");
      return null;
    },
    probe: () =>
      probeWith(async () => {
        auth.forget();
        for (const table of [...config.tables, "sys_user"]) {
          const op: SnowOperation = { label: `read one row of ${table} (a connection test)`, kind: "test", table };
          await read({ method: "GET", table, query: { sysparm_limit: "1", sysparm_fields: "sys_id" }, retry: "idempotent" }, op, snowList);
        }
        const as = config.auth.kind === "basic" ? `user ${config.auth.username}` : `OAuth client ${config.auth.clientId} (${config.auth.grant})`;
        const summary = `ServiceNow at ${config.instanceUrl} let ${as} read ${[...config.tables, "sys_user"].join(", ")}. Nothing was written; work-note writes are checked by the first note.`;
        // A lookup by an element_id no record has: indexed, empty, and it shows whether the journal is readable at all.
        const journal: SnowOperation = { label: "read sys_journal_field (a connection test)", kind: "journal", table: "sys_journal_field" };
        const nobody = { sysparm_query: `element_id=${"0".repeat(32)}`, sysparm_limit: "1", sysparm_fields: "sys_id" };
        const journalReadable = await call({ method: "GET", table: "sys_journal_field", query: nobody, retry: "idempotent" }, journal);
        if (journalReadable.status >= 200 && journalReadable.status < 300) return summary;
        return `${summary} It cannot read sys_journal_field (HTTP ${journalReadable.status}), so after a timeout Verity cannot tell whether a note arrived and may post it twice; grant read on sys_journal_field to avoid that.`;
      }),
    close: () => http.close(),
  };
}

function requireSysId(value: string): string {
  if (!SYS_ID.test(value)) throw new VerityError("VALIDATION_FAILED", { message: "A ServiceNow sys_id is 32 lower-case hexadecimal characters." });
  return value;
}
