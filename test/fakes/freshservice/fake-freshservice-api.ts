/** Data the fake Freshservice holds and how it answers the API v2 calls Verity makes. */

export interface FakeFsTicket {
  readonly id: number;
  readonly subject?: string;
  readonly requester_id: number;
}

export interface FakeFsRequester {
  readonly id: number;
  readonly first_name: string;
  readonly last_name?: string;
  readonly primary_email: string | null;
}

export interface FakeFsAgent {
  readonly id: number;
  readonly first_name: string;
  readonly last_name?: string;
  readonly email: string;
}

/** A conversation entry (a note or a reply) as Freshservice returns it. */
export interface FakeFsConversation {
  readonly id: number;
  readonly ticket_id: number;
  readonly body: string;
  readonly body_text: string;
  readonly private: boolean;
  readonly incoming: boolean;
  readonly user_id: number;
  readonly created_at: string;
}

export interface FakeFsState {
  readonly tickets: Map<number, FakeFsTicket>;
  readonly requesters: Map<number, FakeFsRequester>;
  readonly agents: Map<number, FakeFsAgent>;
  readonly conversations: FakeFsConversation[];
  /** The agent the API key belongs to (notes are written as this agent). */
  readonly apiAgentId: number;
  /** When false, `include=requester` embeds the requester without its email (to exercise the fallback). */
  embedRequesterEmail: boolean;
  /** Whether paged lists announce the next page in a `Link` header (Freshservice documents it). */
  linkHeader: boolean;
  nextId: number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const NOT_FOUND: FakeReply = { status: 404, body: { code: "access_denied", message: "The requested resource was not found." } };
const invalid = (field: string, message: string, code = "invalid_value"): FakeReply => ({
  status: 400,
  body: { description: "Validation failed", errors: [{ field, message, code }] },
});

const requesterJson = (r: FakeFsRequester) => ({ id: r.id, first_name: r.first_name, last_name: r.last_name ?? null, primary_email: r.primary_email, active: true });
const agentJson = (a: FakeFsAgent) => ({ id: a.id, first_name: a.first_name, last_name: a.last_name ?? null, email: a.email, active: true });
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();

/** Routes one authenticated `/api/v2/…` request. */
export function handleFreshserviceApi(state: FakeFsState, base: string, method: string, path: string, query: URLSearchParams, body: string): FakeReply {
  let m: RegExpExecArray | null;
  if (method === "GET" && path === "/api/v2/tickets") {
    return { status: 200, body: { tickets: [...state.tickets.values()].slice(0, Number(query.get("per_page") ?? 30)) } };
  }
  if ((m = /^\/api\/v2\/tickets\/(\d+)$/.exec(path)) && method === "GET") {
    const ticket = state.tickets.get(Number(m[1]));
    if (ticket === undefined) return NOT_FOUND;
    const include = query.get("include");
    if (include !== null && include !== "requester" && include !== "stats" && include !== "conversations") return invalid("include", `It should be one of these values: 'conversations,requester,stats'`);
    const requester = state.requesters.get(ticket.requester_id);
    const embedded =
      include === "requester" && requester !== undefined
        ? { requester: { id: requester.id, name: [requester.first_name, requester.last_name].filter(Boolean).join(" "), ...(state.embedRequesterEmail ? { email: requester.primary_email } : {}), mobile: null, phone: null } }
        : {};
    return { status: 200, body: { ticket: { id: ticket.id, subject: ticket.subject ?? "Help", requester_id: ticket.requester_id, responder_id: null, status: 2, priority: 1, ...embedded } } };
  }
  if ((m = /^\/api\/v2\/requesters\/(\d+)$/.exec(path)) && method === "GET") {
    const r = state.requesters.get(Number(m[1]));
    return r === undefined ? NOT_FOUND : { status: 200, body: { requester: requesterJson(r) } };
  }
  if ((m = /^\/api\/v2\/agents\/(\d+)$/.exec(path)) && method === "GET") {
    const a = state.agents.get(Number(m[1]));
    return a === undefined ? NOT_FOUND : { status: 200, body: { agent: agentJson(a) } };
  }
  if ((m = /^\/api\/v2\/tickets\/(\d+)\/notes$/.exec(path)) && method === "POST") {
    const ticketId = Number(m[1]);
    if (!state.tickets.has(ticketId)) return NOT_FOUND;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { status: 400, body: { description: "Validation failed", errors: [{ field: "", message: "Invalid JSON", code: "invalid_json" }] } };
    }
    const note = parsed as { body?: unknown; private?: unknown };
    if (typeof note.body !== "string" || note.body.trim() === "") return invalid("body", "It should be of type String", "missing_field");
    if (note.private !== undefined && typeof note.private !== "boolean") return invalid("private", "It should be a Boolean value");
    const conversation: FakeFsConversation = {
      id: state.nextId++,
      ticket_id: ticketId,
      body: note.body,
      body_text: text(note.body),
      private: note.private ?? true,
      incoming: false,
      user_id: state.apiAgentId,
      created_at: new Date().toISOString(),
    };
    state.conversations.push(conversation);
    return { status: 201, body: { conversation } };
  }
  if ((m = /^\/api\/v2\/tickets\/(\d+)\/conversations$/.exec(path)) && method === "GET") {
    const ticketId = Number(m[1]);
    if (!state.tickets.has(ticketId)) return NOT_FOUND;
    const page = Number(query.get("page") ?? "1");
    const perPage = Number(query.get("per_page") ?? "30");
    if (!Number.isInteger(page) || page < 1) return invalid("page", "It should be a Positive Integer");
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return invalid("per_page", "It should be a Positive Integer less than or equal to 100");
    const all = state.conversations.filter((c) => c.ticket_id === ticketId);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const more = page * perPage < all.length;
    const headers: Record<string, string> =
      more && state.linkHeader ? { link: `<${base}/api/v2/tickets/${ticketId}/conversations?page=${page + 1}&per_page=${perPage}>; rel="next"` } : {};
    return { status: 200, body: { conversations: slice }, headers };
  }
  return { status: 404, body: { code: "not_found", message: "Unknown route" } };
}
