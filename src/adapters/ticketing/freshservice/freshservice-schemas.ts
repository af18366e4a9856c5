import { z } from "zod";
import { readJson } from "../../http/json.js";

/**
 * zod schemas for what Freshservice sends back (API v2). Only the fields Verity reads are kept;
 * a field of an unexpected type becomes `null` rather than failing the whole record.
 */

const intLike = z.union([z.number().int().safe(), z.string().trim().regex(/^\d{1,15}$/).transform(Number)]);
const id = intLike.pipe(z.number().int().positive());
const text = (max: number) =>
  z
    .string()
    .nullish()
    .catch(null)
    .transform((v) => (v === null || v === undefined || v.trim() === "" ? null : v.trim().slice(0, max)));
const nullableId = id.nullish().catch(null).transform((v) => v ?? null);

/** Someone Freshservice names: a requester (embedded or `/requesters/{id}`) or an agent. */
const person = z
  .object({
    id,
    name: text(300),
    first_name: text(150),
    last_name: text(150),
    email: text(254),
    primary_email: text(254),
  })
  .transform((p) => ({
    id: p.id,
    name: p.name ?? ([p.first_name, p.last_name].filter((n) => n !== null).join(" ") || null),
    email: p.email ?? p.primary_email,
  }));

export type FreshservicePerson = z.output<typeof person>;

/** `GET /api/v2/tickets/{id}?include=requester`. */
export const fsTicketResponse = z
  .object({ ticket: z.object({ id, requester_id: nullableId, requester: person.nullish().catch(null) }) })
  .transform(({ ticket }) => ({ id: ticket.id, requesterId: ticket.requester_id, requester: ticket.requester ?? null }));

export type FreshserviceTicket = z.output<typeof fsTicketResponse>;

/** `GET /api/v2/tickets?per_page=1` (the connection test): only its shape matters. */
export const fsTicketsPage = z.object({ tickets: z.array(z.unknown()) });

/** `GET /api/v2/requesters/{id}`. */
export const fsRequesterResponse = z.object({ requester: person }).transform((r) => r.requester);

/** `GET /api/v2/agents/{id}`. */
export const fsAgentResponse = z.object({ agent: person }).transform((r) => r.agent);

/** One entry of `GET /api/v2/tickets/{id}/conversations`. */
const conversation = z
  .object({ id, body: text(200_000), body_text: text(200_000), private: z.boolean().nullish().catch(null) })
  .transform((c) => ({ id: c.id, body: c.body ?? "", bodyText: c.body_text ?? "", private: c.private ?? null }));

export type FreshserviceConversation = z.output<typeof conversation>;

/** A page of conversations; entries that do not fit are dropped, not fatal. */
export const fsConversationsPage = z.object({ conversations: z.array(z.unknown()).max(1000) }).transform((page) =>
  page.conversations.flatMap((entry) => {
    const parsed = conversation.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  }),
);

/**
 * A short, single-line message from a Freshservice error body: `{description, errors:[{field,
 * message, code}]}` for validation failures, `{code, message}` for authentication and access.
 */
export function freshserviceErrorMessage(body: string): string | undefined {
  const json = readJson(body);
  if (typeof json !== "object" || json === null) return undefined;
  const o = json as Record<string, unknown>;
  const parts: string[] = [];
  for (const value of [o.description, o.message]) if (typeof value === "string") parts.push(value);
  if (Array.isArray(o.errors)) {
    for (const e of o.errors.slice(0, 3)) {
      if (typeof e !== "object" || e === null) continue;
      const { field, message, code } = e as Record<string, unknown>;
      const said = [field, message].filter((v) => typeof v === "string" && v !== "").join(": ");
      if (said !== "") parts.push(typeof code === "string" ? `${said} (${code})` : said);
    }
  } else if (typeof o.code === "string") {
    parts.push(o.code);
  }
  const clean = parts
    .join("; ")
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "") return undefined;
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}

/** Whether a `Link` header names a next page (RFC 8288: `<url>; rel="next"`). */
export function hasNextLink(link: string | undefined): boolean {
  return link !== undefined && /<[^>]*>\s*;[^,]*\brel="?next"?/i.test(link);
}
