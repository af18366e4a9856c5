/** A user as the fake Jira keeps one. `emailVisible: false` models profile visibility withholding the address. */
export interface FakeJiraUser {
  readonly accountId: string;
  readonly displayName: string;
  readonly emailAddress: string;
  readonly emailVisible?: boolean;
  readonly accountType?: "atlassian" | "customer";
}

/** A customer request (an issue in a service project). */
export interface FakeJiraRequest {
  readonly issueId: string;
  readonly issueKey: string;
  readonly summary: string;
  /** The reporter's accountId. */
  readonly reporter: string;
}

/** A comment as stored: `public: false` is an internal comment, shown to agents only. */
export interface FakeJiraComment {
  readonly id: string;
  readonly issueKey: string;
  readonly body: string;
  readonly public: boolean;
  readonly author: string;
  readonly created: number;
}

export interface FakeJiraState {
  readonly users: Map<string, FakeJiraUser>;
  readonly requests: FakeJiraRequest[];
  readonly comments: FakeJiraComment[];
  /** The agent account the API token belongs to. */
  readonly agent: FakeJiraUser;
  nextCommentId: number;
  readonly now: () => number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The service desk API's error body (`{errorMessage, i18nErrorMessage}`). */
export const deskError = (status: number, message: string, key = "sd.error"): FakeReply => ({
  status,
  body: { errorMessage: message, i18nErrorMessage: { i18nKey: key, parameters: [] } },
});

/** The platform API's error body (`{errorMessages, errors}`). */
export const platformError = (status: number, messages: string[], errors: Record<string, string> = {}): FakeReply => ({
  status,
  body: { errorMessages: messages, errors },
});

const MAX_LIMIT = 100;

/** The `reporter` / `author` object, without `emailAddress` when the profile withholds it. */
function userDto(user: FakeJiraUser | undefined, accountId: string) {
  if (user === undefined) return { accountId, displayName: "Former user", active: false };
  return {
    accountId: user.accountId,
    ...(user.emailVisible === false ? {} : { emailAddress: user.emailAddress }),
    displayName: user.displayName,
    active: true,
    timeZone: "Etc/UTC",
    _links: { self: `https://fake.atlassian.net/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}` },
  };
}

function dateDto(ms: number) {
  const iso = new Date(ms).toISOString();
  return { iso8601: iso.replace(/\.\d{3}Z$/, "+0000"), jira: iso.replace("Z", "+0000"), friendly: "Today", epochMillis: ms };
}

function commentDto(state: FakeJiraState, c: FakeJiraComment) {
  return { id: c.id, body: c.body, public: c.public, author: userDto(state.users.get(c.author) ?? state.agent, c.author), created: dateDto(c.created), _links: { self: `/rest/servicedeskapi/request/${c.issueKey}/comment/${c.id}` } };
}

function findRequest(state: FakeJiraState, ref: string): FakeJiraRequest | undefined {
  const wanted = decodeURIComponent(ref);
  return state.requests.find((r) => r.issueId === wanted || r.issueKey.toLowerCase() === wanted.toLowerCase());
}

const flag = (value: string | null, fallback: boolean) => (value === null ? fallback : value !== "false");

function listComments(state: FakeJiraState, request: FakeJiraRequest, query: URLSearchParams): FakeReply {
  const start = Number(query.get("start") ?? "0");
  const limit = Number(query.get("limit") ?? "50");
  if (!Number.isInteger(start) || start < 0 || !Number.isInteger(limit) || limit < 1) return deskError(400, "start and limit must be non-negative integers");
  const size = Math.min(limit, MAX_LIMIT);
  const wantPublic = flag(query.get("public"), true);
  const wantInternal = flag(query.get("internal"), true);
  const all = state.comments.filter((c) => c.issueKey === request.issueKey && (c.public ? wantPublic : wantInternal));
  const values = all.slice(start, start + size).map((c) => commentDto(state, c));
  return {
    status: 200,
    body: { _expands: [], size: values.length, start, limit: size, isLastPage: start + size >= all.length, _links: { base: "https://fake.atlassian.net", context: "" }, values },
  };
}

function addComment(state: FakeJiraState, request: FakeJiraRequest, body: string): FakeReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return deskError(400, "Unrecognized token: the request body is not JSON");
  }
  const input = parsed as { body?: unknown; public?: unknown };
  if (typeof input.body !== "string" || input.body.trim() === "") return deskError(400, "The comment body must not be empty.", "sd.comment.body.required");
  if (typeof input.public !== "boolean") return deskError(400, "public must be true or false.");
  const comment: FakeJiraComment = { id: String(state.nextCommentId++), issueKey: request.issueKey, body: input.body, public: input.public, author: state.agent.accountId, created: state.now() };
  state.comments.push(comment);
  return { status: 201, body: commentDto(state, comment) };
}

/** The Jira Cloud routes Verity calls, after authentication. */
export function handleJiraApi(state: FakeJiraState, method: string, path: string, query: URLSearchParams, body: string): FakeReply {
  const request = /^\/rest\/servicedeskapi\/request\/([^/]+)(\/comment)?$/.exec(path);
  if (request !== null) {
    const found = findRequest(state, request[1] ?? "");
    if (found === undefined) return deskError(404, "Request does not exist or you do not have permission to see it.", "sd.request.error.not.found");
    if (request[2] === undefined && method === "GET") {
      return {
        status: 200,
        body: {
          _expands: [],
          issueId: found.issueId,
          issueKey: found.issueKey,
          requestTypeId: "10",
          serviceDeskId: "1",
          createdDate: dateDto(state.now()),
          reporter: userDto(state.users.get(found.reporter), found.reporter),
          requestFieldValues: [{ fieldId: "summary", label: "Summary", value: found.summary }],
          currentStatus: { status: "Waiting for support", statusCategory: "NEW" },
          _links: { web: `https://fake.atlassian.net/servicedesk/customer/portal/1/${found.issueKey}` },
        },
      };
    }
    if (request[2] !== undefined && method === "GET") return listComments(state, found, query);
    if (request[2] !== undefined && method === "POST") return addComment(state, found, body);
    return { status: 405 };
  }
  if (path === "/rest/servicedeskapi/info" && method === "GET") {
    return { status: 200, body: { version: "10.0.0-fake", platformVersion: "1001.0.0", buildDate: dateDto(state.now()), buildChangeSet: "fake" } };
  }
  if (path === "/rest/api/3/myself" && method === "GET") return { status: 200, body: { ...userDto(state.agent, state.agent.accountId), accountType: "atlassian" } };
  if (path === "/rest/api/3/user" && method === "GET") {
    const accountId = query.get("accountId");
    if (accountId === null || accountId === "") return platformError(400, ["The query parameter 'accountId' is required."]);
    const user = accountId === state.agent.accountId ? state.agent : state.users.get(accountId);
    if (user === undefined) return platformError(404, [`Specified user does not exist or you do not have required permissions`]);
    return { status: 200, body: { ...userDto(user, accountId), accountType: user.accountType ?? "atlassian" } };
  }
  return platformError(404, ["Not found"]);
}
