import { startFakeHttp, type FakeHttpMatch, type FakeHttpRequest } from "../ticketing-fake-http.js";
import type { FakeFsAgent, FakeFsConversation, FakeFsRequester, FakeFsState, FakeFsTicket } from "./fake-freshservice-api.js";
import { handleFreshserviceApi } from "./fake-freshservice-api.js";

export type { FakeFsAgent, FakeFsConversation, FakeFsRequester, FakeFsTicket } from "./fake-freshservice-api.js";

export interface FakeFreshserviceOptions {
  /** The API key Basic auth must carry as its username (default `fs-api-key-0123456789`). */
  readonly apiKey?: string;
  readonly tickets?: readonly FakeFsTicket[];
  readonly requesters?: readonly FakeFsRequester[];
  readonly agents?: readonly FakeFsAgent[];
  /** When false, `include=requester` leaves the email out (default true). */
  readonly embedRequesterEmail?: boolean;
  /** When false, paged lists send no `Link` header (default true). */
  readonly linkHeader?: boolean;
}

export interface FakeFreshservice {
  /** `http://127.0.0.1:<port>`, Verity's `baseUrl`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly requests: readonly FakeHttpRequest[];
  readonly state: FakeFsState;
  count(method: string, pathPrefix: string): number;
  /** The conversations (notes) on a ticket, oldest first. */
  notes(ticketId: number): readonly FakeFsConversation[];
  /** Adds a conversation as if someone had written it in Freshservice. */
  addConversation(ticketId: number, body: string, isPrivate?: boolean): void;
  fail(match?: FakeHttpMatch): void;
  throttle(n: number, match?: FakeHttpMatch & { retryAfterSeconds?: number }): void;
  heal(): void;
  close(): Promise<void>;
}

/**
 * A Freshservice account's API v2 on 127.0.0.1: Basic `apikey:X` (401 otherwise), tickets with
 * `include=requester`, requesters, agents, private notes, paged conversations with `Link`
 * headers (`per_page` ≤ 100), the documented error body `{description, errors:[{field, message,
 * code}]}`, 429 + Retry-After, 503 outages.
 */
export async function startFakeFreshservice(options: FakeFreshserviceOptions = {}): Promise<FakeFreshservice> {
  const apiKey = options.apiKey ?? "fs-api-key-0123456789";
  const state: FakeFsState = {
    tickets: new Map((options.tickets ?? []).map((t) => [t.id, { ...t }])),
    requesters: new Map((options.requesters ?? []).map((r) => [r.id, { ...r }])),
    agents: new Map((options.agents ?? [{ id: 9001, first_name: "Verity", last_name: "API", email: "verity@msp.example" }]).map((a) => [a.id, { ...a }])),
    conversations: [],
    apiAgentId: 9001,
    embedRequesterEmail: options.embedRequesterEmail ?? true,
    linkHeader: options.linkHeader ?? true,
    nextId: 70_000,
  };
  const http = await startFakeHttp({
    throttled: { status: 429, body: { message: "You have exceeded the limit of requests per minute" } },
    unavailable: { status: 503, body: { message: "Service Unavailable" } },
    route(input, base) {
      if (!input.url.pathname.startsWith("/api/v2/")) return { status: 404 };
      // Freshservice ignores the password part ("X" by convention); only the key counts.
      const given = input.headers.authorization ?? "";
      const key = /^Basic (\S+)$/.exec(given)?.[1];
      const username = key === undefined ? "" : Buffer.from(key, "base64").toString("utf8").split(":")[0];
      if (username !== apiKey || given === "") {
        return { status: 401, body: { code: "invalid_credentials", message: "You have to be logged in to perform this action." } };
      }
      return handleFreshserviceApi(state, base, input.method, input.url.pathname, input.url.searchParams, input.body);
    },
  });
  return {
    baseUrl: http.base,
    apiKey,
    requests: http.requests,
    state,
    count: http.count,
    notes: (ticketId) => state.conversations.filter((c) => c.ticket_id === ticketId),
    addConversation(ticketId, body, isPrivate = false) {
      state.conversations.push({
        id: state.nextId++,
        ticket_id: ticketId,
        body,
        body_text: body.replace(/<[^>]+>/g, " "),
        private: isPrivate,
        incoming: !isPrivate,
        user_id: 1,
        created_at: new Date().toISOString(),
      });
    },
    fail: http.fail,
    throttle: http.throttle,
    heal: http.heal,
    close: http.close,
  };
}
