import { z } from "zod";
import { readJson } from "../../http/json.js";

/**
 * ServiceNow's answers as Verity reads them. Fields come back as strings; a reference is a bare
 * sys_id with `sysparm_exclude_reference_link=true`, and `{link, value}` without it, so both are
 * read. An empty reference is "".
 */
const reference = z
  .union([z.string(), z.object({ value: z.string() }).transform((r) => r.value), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null || v.trim() === "" ? null : v.trim()));

const text = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null || v.trim() === "" ? null : v.trim()));

export const SYS_ID = /^[0-9a-f]{32}$/;

/** A task record (incident, sc_task, sc_req_item): only the fields Verity asks for. */
export const snowTaskSchema = z
  .object({
    sys_id: z.string().regex(SYS_ID),
    number: text,
    caller_id: reference,
    request_item: reference,
    requested_for: reference,
  })
  .transform((r) => ({ sysId: r.sys_id, number: r.number, callerId: r.caller_id, requestItem: r.request_item, requestedFor: r.requested_for }));
export type SnowTask = z.output<typeof snowTaskSchema>;

export const snowUserSchema = z
  .object({ sys_id: z.string().regex(SYS_ID), user_name: text, name: text, email: text })
  .transform((u) => ({ sysId: u.sys_id, userName: u.user_name, name: u.name, email: u.email }));
export type SnowUser = z.output<typeof snowUserSchema>;

export const snowJournalSchema = z.object({ sys_id: z.string(), value: z.string().nullable().optional() }).transform((j) => ({ value: j.value ?? "" }));

/** `{"result": [...]}`, the Table API's list answer. */
export const snowList = z.object({ result: z.array(z.unknown()) }).transform((l) => l.result);

/** `{"result": {...}}`, a single record. */
export const snowSingle = z.object({ result: z.record(z.string(), z.unknown()) }).transform((s) => s.result);

/** `/oauth_token.do`'s answer; `expires_in` is a number in the documented example, a string in some proxies. */
export const snowTokenSchema = z.object({
  access_token: z.string().min(1).max(8192),
  expires_in: z.coerce.number().int().positive().max(31_536_000).optional(),
  token_type: z.string().optional(),
});

const envelope = z.object({
  error: z.object({ message: z.string().nullable().optional(), detail: z.string().nullable().optional() }),
  status: z.string().optional(),
});
const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });

/**
 * What ServiceNow said in an error body, cut short and stripped of control characters: the
 * envelope's `message` and `detail`, or an OAuth `error_description`.
 */
export function snowErrorMessage(body: string): string | undefined {
  const json = readJson(body);
  const wrapped = envelope.safeParse(json);
  let said: string | undefined;
  if (wrapped.success) {
    said = [wrapped.data.error.message, wrapped.data.error.detail].filter((s) => typeof s === "string" && s.trim() !== "").join(": ");
  } else {
    const oauth = oauthError.safeParse(json);
    if (oauth.success) said = oauth.data.error_description === undefined ? oauth.data.error : `${oauth.data.error}: ${oauth.data.error_description}`;
  }
  if (said === undefined || said === "") return undefined;
  const clean = said.replace(/[\p{Cc}]+/gu, " ").trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** Entries that parse with `schema`; the rest are skipped. */
export function parseEach<T>(entries: readonly unknown[], schema: z.ZodType<T>): T[] {
  return entries.flatMap((e) => {
    const parsed = schema.safeParse(e);
    return parsed.success ? [parsed.data] : [];
  });
}
