/** A ticket as the fake keeps it (REST field names). */
export interface FakeAutotaskTicket {
  readonly id: number;
  readonly ticketNumber?: string;
  readonly title?: string;
  readonly contactID: number | null;
  readonly companyID?: number;
}

export interface FakeAutotaskContact {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly emailAddress: string | null;
  readonly companyID?: number;
}

export interface FakeAutotaskResource {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
}

/** One TicketNotes picklist entry, as entityInformation/fields lists it (values are strings there). */
export interface FakePicklistValue {
  readonly value: string;
  readonly label: string;
  readonly isActive: boolean;
}

export interface FakeAutotaskNote {
  readonly id: number;
  readonly ticketID: number;
  readonly title: string;
  readonly description: string;
  readonly noteType: number;
  readonly publish: number;
}

export interface FakeAutotaskState {
  readonly tickets: Map<number, FakeAutotaskTicket>;
  readonly contacts: Map<number, FakeAutotaskContact>;
  readonly resources: Map<number, FakeAutotaskResource>;
  publishPicklist: FakePicklistValue[];
  readonly notes: FakeAutotaskNote[];
  nextNoteId: number;
  /** Query page size (Autotask: 500). */
  pageSize: number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
}

/** The picklist seen on instances (PROVIDERS.md §5.3). */
export const DEFAULT_PUBLISH_PICKLIST: readonly FakePicklistValue[] = [
  { value: "1", label: "All Autotask Users", isActive: true },
  { value: "2", label: "Internal Project Team", isActive: true },
  { value: "4", label: "Internal & Co-Managed", isActive: true },
];

const MAX_DESCRIPTION = 32_000;
const errors = (status: number, ...messages: string[]): FakeReply => ({ status, body: { errors: messages } });

/**
 * The REST calls below the zone (`/v1.0/…`), answered as Autotask does: single records wrapped in
 * `{"item": …}` (`{"item": null}` when missing), queries as `{items, pageDetails}`, errors as
 * `{"errors": [...]}`. `zone` is the zone's absolute base, for `nextPageUrl`.
 */
export function handleAutotaskApi(state: FakeAutotaskState, method: string, path: string, query: URLSearchParams, body: string, zone: string): FakeReply {
  const get = (re: RegExp) => (method === "GET" ? re.exec(path) : null);
  const post = (re: RegExp) => (method === "POST" ? re.exec(path) : null);
  let m: RegExpExecArray | null;
  if ((m = get(/^\/v1\.0\/Tickets\/(\d+)$/i))) return { status: 200, body: { item: state.tickets.get(Number(m[1])) ?? null } };
  if ((m = get(/^\/v1\.0\/Contacts\/(\d+)$/i))) return { status: 200, body: { item: state.contacts.get(Number(m[1])) ?? null } };
  if ((m = get(/^\/v1\.0\/Resources\/(\d+)$/i))) return { status: 200, body: { item: state.resources.get(Number(m[1])) ?? null } };
  if (get(/^\/v1\.0\/TicketNotes\/entityInformation\/fields$/i)) return { status: 200, body: noteFields(state) };
  if ((m = post(/^\/v1\.0\/Tickets\/(\d+)\/Notes$/i))) return createNote(state, Number(m[1]), body);
  if (post(/^\/v1\.0\/TicketNotes\/query$/i)) return queryNotes(state, body, 0, zone);
  if (get(/^\/v1\.0\/TicketNotes\/query\/next$/i)) {
    const [search, offset] = (query.get("paging") ?? "").split("~");
    return queryNotes(state, Buffer.from(search ?? "", "base64url").toString("utf8"), Number(offset ?? 0), zone);
  }
  if (post(/^\/v1\.0\/Tickets\/query$/i)) {
    const max = Number((parse(body) as { MaxRecords?: unknown })?.MaxRecords ?? 500);
    const items = [...state.tickets.values()].slice(0, Number.isInteger(max) && max > 0 ? Math.min(max, 500) : 500);
    return { status: 200, body: { items, pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null } } };
  }
  return errors(404, `No route for ${method} ${path}`);
}

function noteFields(state: FakeAutotaskState): unknown {
  const field = (name: string, extra: Record<string, unknown> = {}) => ({ name, dataType: "string", isRequired: false, isReadOnly: false, isPickList: false, picklistValues: null, ...extra });
  return {
    fields: [
      field("id", { dataType: "long", isReadOnly: true }),
      field("ticketID", { dataType: "integer", isRequired: true, isReference: true, referenceEntityType: "Ticket" }),
      field("title", { isRequired: true, length: 250 }),
      field("description", { isRequired: true, length: MAX_DESCRIPTION }),
      field("noteType", { dataType: "integer", isRequired: true, isPickList: true, picklistValues: [{ value: "1", label: "Task Summary", isDefaultValue: true, sortOrder: 1, isActive: true, isSystem: true }] }),
      field("publish", {
        dataType: "integer",
        isRequired: true,
        isPickList: true,
        picklistValues: state.publishPicklist.map((p, i) => ({ ...p, isDefaultValue: i === 0, sortOrder: i + 1, isSystem: true, parentValue: "" })),
      }),
    ],
  };
}

function createNote(state: FakeAutotaskState, ticketId: number, raw: string): FakeReply {
  const body = parse(raw) as Partial<Record<string, unknown>> | undefined;
  if (body === undefined || typeof body !== "object") return errors(400, "The request body is not valid JSON.");
  if (!state.tickets.has(ticketId)) return errors(404, `Ticket ${ticketId} not found.`);
  if (body.ticketID !== undefined && body.ticketID !== ticketId) return errors(400, "ticketID does not match the parent ticket.");
  if (typeof body.title !== "string" || body.title.trim() === "") return errors(500, "Title is required.");
  if (typeof body.description !== "string" || body.description.trim() === "") return errors(500, "Description is required.");
  if (body.description.length > MAX_DESCRIPTION) return errors(500, `Description exceeds ${MAX_DESCRIPTION} characters.`);
  if (typeof body.noteType !== "number") return errors(500, "NoteType is required.");
  const publish = body.publish;
  if (typeof publish !== "number" || !state.publishPicklist.some((p) => p.isActive && Number(p.value) === publish)) return errors(500, "Publish value is not valid.");
  const note: FakeAutotaskNote = { id: state.nextNoteId++, ticketID: ticketId, title: body.title, description: body.description, noteType: body.noteType, publish };
  state.notes.push(note);
  return { status: 200, body: { itemId: note.id } };
}

/** Filters `[{op, field, value}]` with `op: eq` on `ticketID` only (all the fake needs); pages by `pageSize`. */
function queryNotes(state: FakeAutotaskState, raw: string, offset: number, zone: string): FakeReply {
  const search = parse(raw) as { filter?: unknown; Filter?: unknown } | undefined;
  const filter = search?.filter ?? search?.Filter;
  if (!Array.isArray(filter) || filter.length === 0) return errors(500, "A filter is required.");
  const conditions = filter as { op?: string; field?: string; value?: unknown }[];
  const byTicket = conditions.find((c) => c.op?.toLowerCase() === "eq" && c.field?.toLowerCase() === "ticketid");
  if (byTicket === undefined || conditions.length !== 1) return errors(500, "The fake supports only ticketID eq.");
  const all = state.notes.filter((n) => n.ticketID === Number(byTicket.value));
  const items = all.slice(offset, offset + state.pageSize);
  const nextOffset = offset + items.length;
  const nextPageUrl = nextOffset < all.length ? `${zone}/v1.0/TicketNotes/query/next?paging=${Buffer.from(raw).toString("base64url")}~${nextOffset}` : null;
  return { status: 200, body: { items, pageDetails: { count: items.length, requestCount: state.pageSize, prevPageUrl: null, nextPageUrl } } };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
