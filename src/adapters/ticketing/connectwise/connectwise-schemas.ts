import { z } from "zod";

/**
 * ConnectWise answers, read defensively: only the fields Verity uses, each optional or nullable
 * where a real instance might omit it, and an unusable field read as absent rather than failing
 * the whole record. Field names are those of the Manage REST models (PROVIDERS.md §5.2).
 */

const id = z.number().int().positive().safe();
const text = (max: number) => z.string().max(max);
const absent = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

const reference = z.object({ id: absent(id), name: absent(text(500)), identifier: absent(text(100)) });

/** `GET /service/tickets/{id}`: the contact the ticket is for. */
export const cwTicketSchema = z
  .object({
    id,
    contact: absent(reference),
    contactName: absent(text(500)),
    contactEmailAddress: absent(text(320)),
    status: absent(reference),
  })
  .transform((t) => ({
    id: t.id,
    contactId: t.contact?.id ?? null,
    contactName: blankToNull(t.contact?.name ?? t.contactName),
    contactEmail: blankToNull(t.contactEmailAddress),
    statusId: t.status?.id ?? null,
    statusName: blankToNull(t.status?.name),
  }));

export type CwTicket = z.output<typeof cwTicketSchema>;

const communicationItem = z.object({
  value: absent(text(500)),
  defaultFlag: absent(z.boolean()),
  communicationType: absent(text(50)),
  type: absent(reference),
});

/** `GET /company/contacts/{id}`: the name, and the email among `communicationItems`. */
export const cwContactSchema = z
  .object({
    id,
    firstName: absent(text(200)),
    lastName: absent(text(200)),
    communicationItems: absent(z.array(z.unknown()).max(500)),
  })
  .transform((c) => {
    const items = (c.communicationItems ?? []).flatMap((raw) => {
      const parsed = communicationItem.safeParse(raw);
      return parsed.success ? [parsed.data] : [];
    });
    const emails = items.filter((i) => i.communicationType?.toLowerCase() === "email" && blankToNull(i.value) !== null);
    const chosen = emails.find((i) => i.defaultFlag === true) ?? emails[0];
    const name = [c.firstName, c.lastName].map((part) => part?.trim() ?? "").filter((part) => part !== "").join(" ");
    return { id: c.id, name: name === "" ? null : name, email: blankToNull(chosen?.value) };
  });

export type CwContact = z.output<typeof cwContactSchema>;

/** One entry of `GET /service/tickets/{id}/notes` (a ServiceNote). */
export const cwNoteSchema = z.object({
  id: absent(id),
  text: z.string().catch(""),
  internalAnalysisFlag: absent(z.boolean()),
});

export type CwNote = z.output<typeof cwNoteSchema>;

/** `GET /system/members/{id}` or one entry of `GET /system/members?conditions=…`. */
export const cwMemberSchema = z
  .object({ id, identifier: absent(text(100)), firstName: absent(text(200)), lastName: absent(text(200)), name: absent(text(500)) })
  .transform((m) => {
    const full = [m.firstName, m.lastName].map((part) => part?.trim() ?? "").filter((part) => part !== "").join(" ");
    return { id: m.id, identifier: m.identifier ?? null, name: full !== "" ? full : blankToNull(m.name ?? m.identifier) };
  });

export type CwMember = z.output<typeof cwMemberSchema>;

/** Each element of a list answer parsed on its own; unreadable ones are skipped. */
export function parseEach<T>(entries: readonly unknown[], schema: z.ZodType<T>): T[] {
  return entries.flatMap((entry) => {
    const parsed = schema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

const errorBody = z.object({
  code: absent(text(200)),
  message: absent(text(2000)),
  errors: absent(z.array(z.object({ message: absent(text(2000)), field: absent(text(200)) }).catch({})).max(50)),
});

/**
 * What ConnectWise said in an error body (`{code, message, errors:[{message, field}]}`), on one
 * short line without control characters; undefined when the body is not that shape.
 */
export function cwErrorMessage(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = errorBody.safeParse(json);
  if (!parsed.success) return undefined;
  const { code, message, errors } = parsed.data;
  const details = (errors ?? []).flatMap((e) => (e.message === undefined || e.message === null ? [] : [e.field ? `${e.field}: ${e.message}` : e.message]));
  const said = [code, message, ...details].filter((part): part is string => typeof part === "string" && part.trim() !== "").join(" — ");
  if (said === "") return undefined;
  const clean = said.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

function blankToNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}
