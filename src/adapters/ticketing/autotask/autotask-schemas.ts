import { z } from "zod";
import { readJson } from "../../http/json.js";

/**
 * zod schemas for what Autotask's REST API sends back. Records carry far more fields than Verity
 * reads; a field of an unexpected type becomes `null` rather than failing the record. Single
 * records arrive as `{"item": {…}}` (seen in public clients; a bare object is read too).
 */

const intLike = z.union([z.number().int().safe(), z.string().trim().regex(/^-?\d{1,15}$/).transform(Number)]);

/** A record id: a positive safe integer (Autotask ids are numbers; strings of digits are read too). */
export const autotaskId = intLike.pipe(z.number().int().positive());

const nullableId = autotaskId.nullish().catch(null).transform((v) => v ?? null);

const nullableText = (max: number) =>
  z
    .string()
    .nullish()
    .catch(null)
    .transform((v) => (v === null || v === undefined || v.trim() === "" ? null : v.trim().slice(0, max)));

/** `GET …/v1.0/zoneInformation?user=` → `{zoneName, url, webUrl, ci}`; only `url` is used. */
export const zoneInformationSchema = z.object({ url: z.url({ protocol: /^https?$/ }).max(500) });

/** `{"item": record}` or a bare record; `{"item": null}` is Autotask's answer for no such record. */
export function itemOf<T>(schema: z.ZodType<T>) {
  return z.union([
    z.object({ item: z.null() }).transform(() => null),
    z.object({ item: schema }).transform((w) => w.item),
    schema,
  ]);
}

export const autotaskTicketSchema = z.object({
  id: autotaskId,
  contactID: nullableId,
  ticketNumber: nullableText(50),
});
export type AutotaskTicket = z.output<typeof autotaskTicketSchema>;

export const autotaskContactSchema = z
  .object({
    id: autotaskId,
    emailAddress: nullableText(254),
    firstName: nullableText(100),
    lastName: nullableText(100),
  })
  .transform((c) => ({
    id: c.id,
    email: c.emailAddress,
    name: [c.firstName, c.lastName].filter((p) => p !== null).join(" ") || null,
  }));
export type AutotaskContact = z.output<typeof autotaskContactSchema>;

export const autotaskResourceSchema = z
  .object({ id: autotaskId, firstName: nullableText(100), lastName: nullableText(100) })
  .transform((r) => ({ id: r.id, name: [r.firstName, r.lastName].filter((p) => p !== null).join(" ") || null }));

/** One ticket note from a query page; `description` holds the text Verity looks for its marker in. */
export const autotaskNoteSchema = z.object({
  id: autotaskId,
  title: nullableText(1000),
  description: nullableText(100_000),
  publish: nullableId,
});
export type AutotaskNote = z.output<typeof autotaskNoteSchema>;

/** A query page: `{items: [...], pageDetails: {count, requestCount, prevPageUrl, nextPageUrl}}`. */
export const queryPageSchema = z.object({
  items: z.array(z.unknown()).max(10_000),
  pageDetails: z
    .object({ nextPageUrl: z.string().max(8192).nullish().catch(null) })
    .nullish()
    .catch(null),
});

const picklistValue = z.object({
  value: intLike,
  label: z.string().max(500).catch(""),
  isActive: z.boolean().nullish().catch(null),
});
export type PicklistValue = z.output<typeof picklistValue>;

/** `GET …/TicketNotes/entityInformation/fields` → `{fields: [{name, picklistValues?, …}]}`. */
export const entityFieldsSchema = z.object({
  fields: z.array(
    z.object({
      name: z.string().max(200),
      picklistValues: z
        .array(z.unknown())
        .nullish()
        .catch(null)
        .transform((values) => (values ?? []).flatMap((v) => {
          const parsed = picklistValue.safeParse(v);
          return parsed.success ? [parsed.data] : [];
        })),
    }),
  ),
});

/** Creating a record answers `{"itemId": 123}` (UNCONFIRMED for notes). */
export const createdSchema = z.object({ itemId: autotaskId });

/** Autotask's error body `{"errors": ["…"]}`, joined and shortened for a message. */
export function autotaskErrorMessage(text: string): string | undefined {
  const parsed = z.object({ errors: z.array(z.unknown()) }).safeParse(readJson(text));
  if (!parsed.success) return undefined;
  const said = parsed.data.errors
    .filter((e): e is string => typeof e === "string")
    .join("; ")
    .replace(/[\p{Cc}]+/gu, " ")
    .trim();
  return said === "" ? undefined : said.slice(0, 300);
}
