import { startFakeHttp, type FakeHttpMatch, type FakeHttpRequest } from "../ticketing-fake-http.js";
import type { FakeZdComment, FakeZdState, FakeZdTicket, FakeZdUser } from "./fake-zendesk-api.js";
import { handleZendeskApi } from "./fake-zendesk-api.js";

export type { FakeZdComment, FakeZdTicket, FakeZdUser } from "./fake-zendesk-api.js";

export interface FakeZendeskOptions {
  readonly tickets?: readonly FakeZdTicket[];
  /** End users (requesters); the API agent is added. */
  readonly users?: readonly FakeZdUser[];
}

export interface FakeZendesk {
  /** `http://127.0.0.1:<port>`, Verity's `baseUrl`. */
  readonly baseUrl: string;
  /** The agent Verity signs in as, with an API token and an OAuth access token. */
  readonly agent: { readonly id: number; readonly email: string; readonly apiToken: string; readonly accessToken: string };
  readonly requests: readonly FakeHttpRequest[];
  readonly state: FakeZdState;
  count(method: string, pathPrefix: string): number;
  /** The comments on a ticket, oldest first. */
  notes(ticketId: number): readonly FakeZdComment[];
  /** Adds a comment as if someone had written it in Zendesk. */
  addComment(ticketId: number, text: string, isPublic?: boolean): void;
  fail(match?: FakeHttpMatch): void;
  throttle(n: number, match?: FakeHttpMatch & { retryAfterSeconds?: number }): void;
  heal(): void;
  close(): Promise<void>;
}

/**
 * A Zendesk Support account on 127.0.0.1: Basic `{email}/token:{apiToken}` or an OAuth bearer
 * (401 `{"error":"Couldn't authenticate you"}` otherwise), tickets, users, comments added by
 * `PUT /tickets/{id}.json` (`public` defaults to true, as in Zendesk), cursor-paged comments, the
 * documented `{error, description}` bodies, 429 + Retry-After and 503 outages.
 */
export async function startFakeZendesk(options: FakeZendeskOptions = {}): Promise<FakeZendesk> {
  const agent = { id: 900, email: "verity@msp.example", apiToken: "zd-api-token-0123456789", accessToken: "zd-oauth-access-0123456789" };
  const me: FakeZdUser = { id: agent.id, name: "Verity API", email: agent.email, role: "agent" };
  const state: FakeZdState = {
    tickets: new Map((options.tickets ?? []).map((t) => [t.id, { ...t }])),
    users: new Map([...(options.users ?? []), me].map((u) => [u.id, { ...u }])),
    comments: [],
    nextId: 50_000,
  };
  const basic = `Basic ${Buffer.from(`${agent.email}/token:${agent.apiToken}`).toString("base64")}`;
  const http = await startFakeHttp({
    throttled: { status: 429, body: { error: "TooManyRequests", description: "You have exceeded the rate limit" } },
    unavailable: { status: 503, body: { error: "ServiceUnavailable", description: "Maintenance" } },
    route(input, base) {
      if (!input.url.pathname.startsWith("/api/v2/")) return { status: 404 };
      const given = input.headers.authorization;
      if (given !== basic && given !== `Bearer ${agent.accessToken}`) return { status: 401, body: { error: "Couldn't authenticate you" } };
      return handleZendeskApi(state, me, base, input.method, input.url.pathname, input.url.searchParams, input.body);
    },
  });
  return {
    baseUrl: http.base,
    agent,
    requests: http.requests,
    state,
    count: http.count,
    notes: (ticketId) => state.comments.filter((c) => c.ticket_id === ticketId),
    addComment(ticketId, text, isPublic = true) {
      state.comments.push({
        id: state.nextId++,
        ticket_id: ticketId,
        type: "Comment",
        author_id: 1,
        body: text,
        html_body: `<div class="zd-comment" dir="auto"><p>${text}</p></div>`,
        plain_body: text,
        public: isPublic,
        created_at: new Date().toISOString(),
      });
    },
    fail: http.fail,
    throttle: http.throttle,
    heal: http.heal,
    close: http.close,
  };
}
