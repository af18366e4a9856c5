import { z } from "zod";
import { readJson } from "../../http/json.js";

/**
 * zod schemas for what Zendesk's Support API sends back. Only the fields Verity reads are kept;
 * a field of an unexpected type becomes `null` instead of failing the whole record.
 */

const id = z.union([z.number().int().safe(), z.string().trim().regex(/^\d{1,18}$/).transform(Number)]).pipe(z.number().int().positive().safe());
const text = (max: number) =>
  z
    .string()
    .nullish()
    .catch(null)
    .transform((v) => (v === null || v === undefined || v.trim() === "" ? null : v.trim().slice(0, max)));

/** `GET /api/v2/tickets/{id}.json`. */
export const zdTicketResponse = z
  .object({ ticket: z.object({ id, requester_id: id.nullish().catch(null) }) })
  .transform(({ ticket }) => ({ id: ticket.id, requesterId: ticket.requester_id ?? null }));

export type ZendeskTicket = z.output<typeof zdTicketResponse>;

const user = z.object({ id: id.nullish().catch(null), name: text(300), email: text(254), role: text(40) });

/** `GET /api/v2/users/{id}.json` and `/users/me.json`. */
export const zdUserResponse = z.object({ user }).transform(({ user: u }) => ({ id: u.id ?? null, name: u.name, email: u.email, role: u.role }));

export type ZendeskUser = z.output<typeof zdUserResponse>;

const comment = z
  .object({ id, body: text(200_000), html_body: text(200_000), plain_body: text(200_000), public: z.boolean().nullish().catch(null) })
  .transform((c) => ({ id: c.id, texts: [c.html_body, c.body, c.plain_body].filter((t) => t !== null), public: c.public ?? null }));

export type ZendeskComment = z.output<typeof comment>;

/** A page of `GET /api/v2/tickets/{id}/comments.json` with cursor pagination. */
export const zdCommentsPage = z
  .object({
    comments: z.array(z.unknown()).max(1000),
    meta: z.object({ has_more: z.boolean().catch(false), after_cursor: z.string().max(2000).nullish().catch(null) }).nullish().catch(null),
  })
  .transform((page) => ({
    comments: page.comments.flatMap((entry) => {
      const parsed = comment.safeParse(entry);
      return parsed.success ? [parsed.data] : [];
    }),
    after: page.meta?.has_more === true && typeof page.meta.after_cursor === "string" && page.meta.after_cursor !== "" ? page.meta.after_cursor : null,
  }));

/**
 * A short, single-line message from a Zendesk error body: `{error, description}`, where `error`
 * may also be an object `{title, message}`, and validation `details`.
 */
export function zendeskErrorMessage(body: string): string | undefined {
  const json = readJson(body);
  if (typeof json !== "object" || json === null) return undefined;
  const o = json as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof o.error === "string") parts.push(o.error);
  if (typeof o.error === "object" && o.error !== null) {
    const e = o.error as Record<string, unknown>;
    for (const v of [e.title, e.message]) if (typeof v === "string") parts.push(v);
  }
  if (typeof o.description === "string") parts.push(o.description);
  if (typeof o.details === "object" && o.details !== null) {
    for (const list of Object.values(o.details as Record<string, unknown>).slice(0, 3)) {
      const first: unknown = Array.isArray(list) ? list[0] : undefined;
      if (typeof first === "object" && first !== null && typeof (first as Record<string, unknown>).description === "string") {
        parts.push((first as Record<string, string>).description ?? "");
      }
    }
  }
  const clean = parts
    .join("; ")
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "") return undefined;
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}
