import { z } from "zod";
import { readJson } from "../../http/json.js";

/**
 * zod schemas for what HaloPSA sends back. Halo returns many more fields than Verity reads and no
 * public OpenAPI exists, so objects keep only the fields below, a field of an unexpected type
 * becomes `null` instead of failing the whole record, and lists arrive either bare or wrapped.
 */

const intLike = z.union([z.number().int().safe(), z.string().trim().regex(/^-?\d{1,15}$/).transform(Number)]);

/** A record's own id: required, a positive safe integer. */
export const haloId = intLike.pipe(z.number().int().positive());

const nullableInt = intLike.nullish().catch(null).transform((v) => v ?? null);

const nullableText = (max: number) =>
  z
    .string()
    .nullish()
    .catch(null)
    .transform((v) => (v === null || v === undefined ? null : v.slice(0, max)));

const nullableBool = z.boolean().nullish().catch(null).transform((v) => v ?? null);

export const haloTokenSchema = z.object({
  access_token: z.string().min(1).max(16_384),
  token_type: z.string().max(50).optional().catch(undefined),
  expires_in: intLike.pipe(z.number().int().positive()).optional().catch(undefined),
});

/** `GET /Tickets/{id}`; fields Halo leaves out come back as `null`. */
export const haloTicketSchema = z
  .object({
    id: haloId,
    summary: nullableText(2000),
    user_id: nullableInt,
    user_name: nullableText(300),
    client_id: nullableInt,
    site_id: nullableInt,
    agent_id: nullableInt,
    hasbeenclosed: nullableBool,
  })
  .transform((t) => ({
    id: t.id,
    summary: t.summary,
    userId: t.user_id,
    userName: t.user_name,
    clientId: t.client_id,
    siteId: t.site_id,
    agentId: t.agent_id,
    closed: t.hasbeenclosed,
  }));

export type HaloTicket = z.output<typeof haloTicketSchema>;

/** One end user from `GET /Users/{id}` or an entry of `GET /Users`. */
export const haloUserSchema = z
  .object({
    id: haloId,
    name: nullableText(300),
    emailaddress: nullableText(254),
    client_id: nullableInt,
    site_id: nullableInt,
    azureoid: nullableText(64),
  })
  .transform((u) => ({
    id: u.id,
    name: u.name,
    email: u.emailaddress === null || u.emailaddress.trim() === "" ? null : u.emailaddress.trim(),
    clientId: u.client_id,
    siteId: u.site_id,
    azureOid: u.azureoid === null || u.azureoid.trim() === "" ? null : u.azureoid.trim(),
  }));

export type HaloUser = z.output<typeof haloUserSchema>;

/** `GET /Agent/{id}`. */
export const haloAgentSchema = z
  .object({ id: haloId, name: nullableText(300), email: nullableText(254) })
  .transform((a) => ({ id: a.id, name: a.name, email: a.email }));

export type HaloAgent = z.output<typeof haloAgentSchema>;

/** One entry of `GET /Actions?ticket_id=`; the full HTML when Halo sends it, else the plain note. */
export const haloActionSchema = z
  .object({ id: haloId, note_html: nullableText(100_000), note: nullableText(100_000) })
  .transform((a) => ({ id: a.id, noteHtml: a.note_html ?? a.note ?? "" }));

export type HaloAction = z.output<typeof haloActionSchema>;

/** A list Halo may send bare or wrapped as `{ record_count, <key>: [...] }`. */
export function haloList(key: string) {
  return z.union([z.array(z.unknown()), z.looseObject({ [key]: z.array(z.unknown()) }).transform((o) => o[key] as unknown[])]);
}

/**
 * Parses each entry on its own and drops the ones that do not fit, so one odd record in a list
 * Halo sends cannot hide the rest.
 */
export function parseEach<T>(entries: readonly unknown[], schema: z.ZodType<T>): T[] {
  const out: T[] = [];
  for (const entry of entries) {
    const parsed = schema.safeParse(entry);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/**
 * The id of the action `POST /Actions` created. The response shape is UNCONFIRMED: a single
 * action object is expected, an array of them is accepted, anything else gives `null`.
 */
export function createdActionId(body: unknown): number | null {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (typeof first !== "object" || first === null || !("id" in first)) return null;
  const parsed = haloId.safeParse(first.id);
  return parsed.success ? parsed.data : null;
}

/**
 * A short, single-line message from a Halo error body: Halo answers with a serialised .NET
 * exception (`{"ClassName":"System.Exception","Message":"…"}`), a JSON string, OAuth's
 * `{error, error_description}` or plain text.
 */
export function haloErrorMessage(text: string): string | undefined {
  const json = readJson(text);
  // Not JSON: use the text as it is.
  const value = json === undefined ? text : json;
  let message: unknown = value;
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    message = [o.Message, o.message, o.error_description, o.error].find((m) => typeof m === "string" && m.trim() !== "");
  }
  if (typeof message !== "string") return undefined;
  const clean = message
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "" || clean.startsWith("<")) return undefined;
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}
