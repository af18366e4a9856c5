import type { FakeCwContact, FakeCwMember, FakeCwNote, FakeCwTicket } from "./fake-connectwise-data.js";

export interface FakeCwState {
  readonly tickets: Map<number, FakeCwTicket>;
  readonly contacts: Map<number, FakeCwContact>;
  readonly members: Map<number, FakeCwMember>;
  readonly notes: FakeCwNote[];
  /** The API member the keys belong to (notes are created as this member). */
  readonly apiMember: FakeCwMember;
  nextNoteId: number;
  now(): number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
}

/** ConnectWise's error shape: `{code, message, errors}` (ErrorResponseMessage / ValidationError). */
export const cwError = (status: number, code: string, message: string, errors?: { code: string; message: string; resource: string; field: string }[]): FakeReply => ({
  status,
  body: { code, message, ...(errors === undefined ? {} : { errors }) },
});

const idOf = (segment: string | undefined): number | undefined => (segment !== undefined && /^\d{1,10}$/.test(segment) ? Number(segment) : undefined);

const PAGE_SIZE_DEFAULT = 25;
const PAGE_SIZE_MAX = 1000;

/** `page`/`pageSize` as ConnectWise reads them (1-based, default 25, at most 1000); a 400 for nonsense. */
function paged<T>(records: readonly T[], query: URLSearchParams): FakeReply {
  const pageText = query.get("page") ?? "1";
  const sizeText = query.get("pageSize") ?? String(PAGE_SIZE_DEFAULT);
  if (!/^\d{1,6}$/.test(pageText) || !/^\d{1,6}$/.test(sizeText) || Number(pageText) < 1 || Number(sizeText) < 1) {
    return cwError(400, "InvalidObject", "page and pageSize must be positive whole numbers");
  }
  const size = Math.min(Number(sizeText), PAGE_SIZE_MAX);
  const page = Number(pageText);
  return { status: 200, body: records.slice((page - 1) * size, page * size) };
}

/**
 * The Manage REST API under `/v4_6_release/apis/3.0`, after the Basic credentials and clientId
 * were accepted: the calls Verity makes, with ConnectWise's documented shapes.
 */
export function handleCwApi(state: FakeCwState, method: string, path: string, query: URLSearchParams, body: string): FakeReply {
  const parts = path.split("/").filter((p) => p !== "");
  const [area, resource, id, sub, ...rest] = parts;
  if (rest.length > 0) return cwError(404, "NotFound", "Not found");
  const key = `${method} ${area ?? ""}/${resource ?? ""}${id === undefined ? "" : "/:id"}${sub === undefined ? "" : `/${sub}`}`;
  switch (key) {
    case "GET service/tickets":
      return paged([...state.tickets.values()].filter((t) => t.closedFlag !== true), query);
    case "GET service/tickets/:id":
      return record(state.tickets, idOf(id), "Ticket");
    case "GET service/tickets/:id/notes": {
      const ticketId = idOf(id);
      if (ticketId === undefined || !state.tickets.has(ticketId)) return cwError(404, "NotFound", "Ticket not found");
      return paged(state.notes.filter((n) => n.ticketId === ticketId), query);
    }
    case "POST service/tickets/:id/notes":
      return createNote(state, idOf(id), body);
    case "GET company/contacts/:id":
      return record(state.contacts, idOf(id), "Contact");
    case "GET system/members/:id":
      return record(state.members, idOf(id), "Member");
    case "GET system/members":
      return paged(membersMatching(state, query.get("conditions")), query);
    default:
      return cwError(404, "NotFound", "Not found");
  }
}

function record<T>(records: Map<number, T>, id: number | undefined, what: string): FakeReply {
  const found = id === undefined ? undefined : records.get(id);
  return found === undefined ? cwError(404, "NotFound", `${what} Not Found`) : { status: 200, body: found };
}

/** Only the one condition Verity sends is understood: `identifier="…"`. */
function membersMatching(state: FakeCwState, conditions: string | null): FakeCwMember[] {
  const members = [...state.members.values()];
  if (conditions === null) return members;
  const wanted = /^identifier\s*=\s*"([^"]*)"$/i.exec(conditions.trim())?.[1];
  return wanted === undefined ? [] : members.filter((m) => m.identifier.toLowerCase() === wanted.toLowerCase());
}

const FLAGS = ["detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag"] as const;

function createNote(state: FakeCwState, ticketId: number | undefined, body: string): FakeReply {
  const ticket = ticketId === undefined ? undefined : state.tickets.get(ticketId);
  if (ticket === undefined) return cwError(404, "NotFound", "Ticket Not Found");
  let input: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    input = parsed as Record<string, unknown>;
  } catch {
    return cwError(400, "InvalidObject", "The request body could not be read as a ServiceNote");
  }
  const problems: { code: string; message: string; resource: string; field: string }[] = [];
  if (typeof input.text !== "string" || input.text.trim() === "") problems.push({ code: "MissingRequiredField", message: "The text field is required.", resource: "serviceNote", field: "text" });
  for (const flag of FLAGS) {
    if (input[flag] !== undefined && typeof input[flag] !== "boolean") problems.push({ code: "InvalidField", message: `${flag} must be a boolean.`, resource: "serviceNote", field: flag });
  }
  if (problems.length === 0 && !FLAGS.some((flag) => input[flag] === true)) {
    problems.push({ code: "InvalidField", message: "At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be set.", resource: "serviceNote", field: "internalAnalysisFlag" });
  }
  if (problems.length > 0) return cwError(400, "InvalidObject", "serviceNote object is invalid", problems);
  const internal = input.internalAnalysisFlag === true;
  const note: FakeCwNote = {
    id: state.nextNoteId++,
    ticketId: ticket.id,
    text: input.text as string,
    detailDescriptionFlag: input.detailDescriptionFlag === true,
    internalAnalysisFlag: internal,
    resolutionFlag: input.resolutionFlag === true,
    internalFlag: internal,
    externalFlag: !internal,
    member: { id: state.apiMember.id, identifier: state.apiMember.identifier, name: `${state.apiMember.firstName} ${state.apiMember.lastName}` },
    dateCreated: new Date(state.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    createdBy: state.apiMember.identifier,
  };
  state.notes.push(note);
  return { status: 201, body: { ...note, _info: { lastUpdated: note.dateCreated, updatedBy: note.createdBy } } };
}
