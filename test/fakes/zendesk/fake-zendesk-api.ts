/** Data the fake Zendesk holds and how it answers the Support API calls Verity makes. */

export interface FakeZdTicket {
  readonly id: number;
  readonly requester_id: number;
  readonly subject?: string;
  status?: "new" | "open" | "pending" | "solved" | "closed";
}

export interface FakeZdUser {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly role: "end-user" | "agent" | "admin";
}

/** A comment as Zendesk stores and returns it. */
export interface FakeZdComment {
  readonly id: number;
  readonly ticket_id: number;
  readonly type: "Comment";
  readonly author_id: number;
  /** Plain text Zendesk derives from the HTML. */
  readonly body: string;
  /** Zendesk's sanitised rendering of what was sent. */
  readonly html_body: string;
  readonly plain_body: string;
  readonly public: boolean;
  readonly created_at: string;
}

export interface FakeZdState {
  readonly tickets: Map<number, FakeZdTicket>;
  readonly users: Map<number, FakeZdUser>;
  readonly comments: FakeZdComment[];
  nextId: number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const NOT_FOUND: FakeReply = { status: 404, body: { error: "RecordNotFound", description: "Not found" } };
const plain = (html: string) =>
  html
    .replace(/<br\s*\/?>|<\/(p|li|div)>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .trim();
const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const userJson = (u: FakeZdUser) => ({ id: u.id, url: `/api/v2/users/${u.id}.json`, name: u.name, email: u.email, role: u.role, active: true });

/** Routes one authenticated `/api/v2/…` request made as `me`. */
export function handleZendeskApi(state: FakeZdState, me: FakeZdUser, base: string, method: string, path: string, query: URLSearchParams, body: string): FakeReply {
  let m: RegExpExecArray | null;
  if (method === "GET" && path === "/api/v2/users/me.json") return { status: 200, body: { user: userJson(me) } };
  if ((m = /^\/api\/v2\/users\/(\d+)\.json$/.exec(path)) && method === "GET") {
    const user = state.users.get(Number(m[1]));
    return user === undefined ? NOT_FOUND : { status: 200, body: { user: userJson(user) } };
  }
  if ((m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(path))) {
    const ticket = state.tickets.get(Number(m[1]));
    if (ticket === undefined) return NOT_FOUND;
    if (method === "GET") return { status: 200, body: { ticket: { id: ticket.id, subject: ticket.subject ?? "Help", requester_id: ticket.requester_id, submitter_id: ticket.requester_id, status: ticket.status ?? "open" } } };
    if (method === "PUT") return updateTicket(state, me, ticket, body);
  }
  if ((m = /^\/api\/v2\/tickets\/(\d+)\/comments\.json$/.exec(path)) && method === "GET") {
    const ticketId = Number(m[1]);
    if (!state.tickets.has(ticketId)) return NOT_FOUND;
    return listComments(state, base, ticketId, query);
  }
  return { status: 404, body: { error: "InvalidEndpoint", description: "Not found" } };
}

function updateTicket(state: FakeZdState, me: FakeZdUser, ticket: FakeZdTicket, body: string): FakeReply {
  let parsed: { ticket?: { comment?: { body?: unknown; html_body?: unknown; public?: unknown } } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { status: 400, body: { error: "Unprocessable Entity", description: "Server could not parse JSON" } };
  }
  const comment = parsed.ticket?.comment;
  if (comment === undefined) return { status: 200, body: { ticket: { id: ticket.id } } };
  if (ticket.status === "closed") {
    return { status: 422, body: { error: "RecordInvalid", description: "Record validation errors", details: { status: [{ description: "Status: closed prevents ticket update" }] } } };
  }
  const html = typeof comment.html_body === "string" ? comment.html_body : typeof comment.body === "string" ? `<p>${escape(comment.body)}</p>` : "";
  if (html.trim() === "" || (comment.public !== undefined && typeof comment.public !== "boolean")) {
    return { status: 422, body: { error: "RecordInvalid", description: "Record validation errors", details: { base: [{ description: "Comment: cannot be blank" }] } } };
  }
  const text = plain(html);
  // Zendesk keeps the HTML it was given inside its own wrapper; `public` defaults to true.
  state.comments.push({
    id: state.nextId++,
    ticket_id: ticket.id,
    type: "Comment",
    author_id: me.id,
    body: text,
    html_body: `<div class="zd-comment" dir="auto">${html}</div>`,
    plain_body: text,
    public: comment.public ?? true,
    created_at: new Date().toISOString(),
  });
  return { status: 200, body: { ticket: { id: ticket.id, status: ticket.status ?? "open" }, audit: { id: state.nextId++, ticket_id: ticket.id, events: [{ type: "Comment" }] } } };
}

function listComments(state: FakeZdState, base: string, ticketId: number, query: URLSearchParams): FakeReply {
  const all = state.comments.filter((c) => c.ticket_id === ticketId);
  const sizeParam = query.get("page[size]");
  if (sizeParam === null) {
    // Offset pagination (Zendesk's default without page[size]): 100 a page, next_page URL.
    const page = Number(query.get("page") ?? "1");
    const slice = all.slice((page - 1) * 100, page * 100);
    const next = page * 100 < all.length ? `${base}/api/v2/tickets/${ticketId}/comments.json?page=${page + 1}` : null;
    return { status: 200, body: { comments: slice, next_page: next, previous_page: null, count: all.length } };
  }
  const size = Number(sizeParam);
  if (!Number.isInteger(size) || size < 1 || size > 100) return { status: 400, body: { error: "InvalidPaginationParameter", description: "page[size] must be an integer from 1 to 100" } };
  const after = query.get("page[after]");
  let start = 0;
  if (after !== null) {
    const decoded = /^c(\d+)$/.exec(Buffer.from(after, "base64url").toString("utf8"))?.[1];
    if (decoded === undefined) return { status: 400, body: { error: "InvalidPaginationParameter", description: "page[after] is not a valid cursor" } };
    start = Number(decoded);
  }
  const slice = all.slice(start, start + size);
  const hasMore = start + size < all.length;
  const cursor = Buffer.from(`c${start + size}`).toString("base64url");
  return {
    status: 200,
    body: {
      comments: slice,
      meta: { has_more: hasMore, after_cursor: hasMore ? cursor : null, before_cursor: start > 0 ? Buffer.from(`c${start}`).toString("base64url") : null },
      links: { next: hasMore ? `${base}/api/v2/tickets/${ticketId}/comments.json?page%5Bafter%5D=${cursor}&page%5Bsize%5D=${size}` : null, prev: null },
    },
  };
}
