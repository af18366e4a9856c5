import type { FakeHaloAction, FakeHaloAgent, FakeHaloOutcome, FakeHaloTicket, FakeHaloUser } from "./fake-halo-data.js";

export interface FakeHaloState {
  readonly tickets: Map<number, FakeHaloTicket>;
  readonly users: Map<number, FakeHaloUser>;
  readonly agents: Map<number, FakeHaloAgent>;
  readonly outcomes: FakeHaloOutcome[];
  readonly actions: FakeHaloAction[];
  readonly apiAgentName: string;
  readonly actionsListShape: "wrapped" | "bare";
  readonly actionResponseShape: "object" | "array" | "empty";
  nextActionId: number;
  now(): number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
}

/** Halo reports failures as a serialised .NET exception. */
const haloError = (status: number, message: string): FakeReply => ({
  status,
  body: { ClassName: "System.Exception", Message: message },
});

const idOf = (segment: string | undefined): number | undefined =>
  segment !== undefined && /^\d{1,15}$/.test(segment) ? Number(segment) : undefined;

/**
 * Halo's resource server, after the bearer token was accepted. Paths are matched without regard
 * to case, as Halo does (CIPP writes `/actions`, others `/Actions`).
 */
export function handleHaloApi(state: FakeHaloState, method: string, path: string, query: URLSearchParams, body: string): FakeReply {
  const [resource = "", id, ...rest] = path.replace(/^\/api\//i, "").split("/");
  const key = resource.toLowerCase();
  if (rest.length > 0) return haloError(404, "Not found");
  if (method === "GET" && key === "tickets" && id !== undefined) return getRecord(state.tickets, idOf(id));
  if (method === "GET" && key === "tickets") return listTickets(state, query);
  if (method === "GET" && key === "users" && id !== undefined) return getRecord(state.users, idOf(id));
  if (method === "GET" && key === "users") return searchUsers(state, query);
  if (method === "GET" && key === "agent" && id !== undefined) return getRecord(state.agents, idOf(id));
  if (method === "GET" && key === "actions" && id === undefined) return listActions(state, query);
  if (method === "POST" && key === "actions" && id === undefined) return createActions(state, body);
  return haloError(404, "Not found");
}

function getRecord<T>(records: Map<number, T>, id: number | undefined): FakeReply {
  const record = id === undefined ? undefined : records.get(id);
  return record === undefined ? haloError(404, "Record not found") : { status: 200, body: record };
}

/** `GET /Tickets`: open tickets, paged when `pageinate=true` (the list's shape is UNCONFIRMED, modelled on `/Users`). */
function listTickets(state: FakeHaloState, query: URLSearchParams): FakeReply {
  let tickets = [...state.tickets.values()].filter((t) => t.hasbeenclosed !== true);
  const recordCount = tickets.length;
  if (query.get("pageinate") === "true") {
    const size = Number(query.get("page_size") ?? "50");
    const page = Number(query.get("page_no") ?? "1");
    tickets = tickets.slice((page - 1) * size, page * size);
  }
  return { status: 200, body: { page_no: 1, page_size: tickets.length, record_count: recordCount, tickets } };
}

function searchUsers(state: FakeHaloState, query: URLSearchParams): FakeReply {
  const term = (query.get("search") ?? "").toLowerCase();
  const clientId = query.get("client_id");
  const includeInactive = query.get("includeinactive") === "true";
  let users = [...state.users.values()].filter(
    (u) =>
      (clientId === null || String(u.client_id) === clientId) &&
      (includeInactive || u.inactive !== true) &&
      [u.name, u.emailaddress, u.networklogin].some((field) => field?.toLowerCase().includes(term)),
  );
  const recordCount = users.length;
  if (query.get("pageinate") === "true") {
    const size = Number(query.get("page_size") ?? "50");
    const page = Number(query.get("page_no") ?? "1");
    users = users.slice((page - 1) * size, page * size);
  }
  return { status: 200, body: { page_no: 1, page_size: users.length, record_count: recordCount, users } };
}

function listActions(state: FakeHaloState, query: URLSearchParams): FakeReply {
  const ticketId = idOf(query.get("ticket_id") ?? undefined);
  if (ticketId === undefined) return haloError(400, "Please provide a Ticket ID or a start and end date");
  const html = query.get("includehtmlnote") === "true";
  const actions = state.actions
    .filter((a) => a.ticket_id === ticketId)
    .map((a) => ({ ...a, note_html: html ? a.note_html : undefined, note: a.note.slice(0, 40) }));
  return { status: 200, body: state.actionsListShape === "bare" ? actions : { record_count: actions.length, actions } };
}

function createActions(state: FakeHaloState, body: string): FakeReply {
  let items: unknown;
  try {
    items = JSON.parse(body);
  } catch {
    return haloError(400, "Invalid JSON");
  }
  if (!Array.isArray(items) || items.length === 0) return haloError(400, "Expected an array of actions");
  const created: FakeHaloAction[] = [];
  for (const item of items as Record<string, unknown>[]) {
    if (typeof item !== "object" || item === null || typeof item.ticket_id !== "number") return { status: 400 };
    if (!state.tickets.has(item.ticket_id)) return haloError(400, `Ticket ${item.ticket_id} not found`);
    const outcome =
      typeof item.outcome_id === "number"
        ? state.outcomes.find((o) => o.id === item.outcome_id)
        : typeof item.outcome === "string" && item.outcome !== ""
          ? state.outcomes.find((o) => o.name.toLowerCase() === (item.outcome as string).toLowerCase())
          : null;
    if (outcome === null) return haloError(400, "An Outcome must be entered for this Action");
    if (outcome === undefined) return haloError(400, "Invalid Outcome");
    const noteHtml = typeof item.note_html === "string" ? item.note_html : "";
    created.push({
      id: state.nextActionId++,
      ticket_id: item.ticket_id,
      outcome_id: outcome.id,
      outcome: outcome.name,
      hiddenfromuser: item.hiddenfromuser === true,
      sendemail: item.sendemail !== false,
      note_html: noteHtml,
      note: typeof item.note === "string" ? item.note : noteHtml.replace(/<[^>]*>/g, ""),
      who: state.apiAgentName,
      datetime: new Date(state.now()).toISOString(),
    });
  }
  state.actions.push(...created);
  const first = created[0] as FakeHaloAction;
  if (state.actionResponseShape === "empty") return { status: 201 };
  return { status: 201, body: state.actionResponseShape === "array" ? created : { ...first, actionby_application_id: "Verity" } };
}
