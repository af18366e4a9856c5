import { oktaError, type OktaErrorReply } from "./fake-okta-resources.js";
import type { FakeOktaUser } from "./fake-okta-types.js";

/**
 * `GET /api/v1/users` as the fake answers it: `search=` expressions (`eq`, `sw`, `and`, `or`,
 * parentheses, on `id`, `status` and `profile.*`), `filter=` (the same grammar, `eq` only), `q=`
 * (prefix of first name, last name, email or login; DEPROVISIONED users left out), `limit` and an
 * `after` cursor, with `Link: <…>; rel="next"` while more remain.
 */
export function listUsers(
  users: readonly FakeOktaUser[],
  query: URLSearchParams,
  pageSize: number,
  selfUrl: string,
  resource: (user: FakeOktaUser) => unknown,
): { status: number; body: unknown; headers?: Record<string, string> } | OktaErrorReply {
  const limitText = query.get("limit");
  const limit = limitText === null ? 200 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) return oktaError(400, "E0000001", "Api validation failed: limit", ["limit must be a positive whole number."]);
  let match: (user: FakeOktaUser) => boolean = (u) => u.status !== "DEPROVISIONED";
  const search = query.get("search");
  const filter = query.get("filter");
  const q = query.get("q");
  if (search !== null || filter !== null) {
    const parsed = parseExpression(search ?? filter ?? "", search === null);
    if (typeof parsed === "string") return oktaError(400, "E0000031", `Invalid search criteria: ${parsed}`);
    match = parsed;
  } else if (q !== null) {
    const prefix = q.toLowerCase();
    match = (u) => u.status !== "DEPROVISIONED" && [u.firstName, u.lastName, u.email, u.login].some((v) => v.toLowerCase().startsWith(prefix));
  }
  const found = users.filter(match);
  const after = query.get("after");
  const start = after === null ? 0 : Math.max(0, found.findIndex((u) => u.id === after) + 1);
  const size = Math.min(limit, pageSize);
  const page = found.slice(start, start + size);
  const last = page[page.length - 1];
  if (start + size >= found.length || last === undefined) return { status: 200, body: page.map(resource) };
  const next = new URL(selfUrl);
  next.searchParams.set("after", last.id);
  next.searchParams.set("limit", String(limit));
  return { status: 200, body: page.map(resource), headers: { link: `<${selfUrl}>; rel="self", <${next.toString()}>; rel="next"` } };
}

type Matcher = (user: FakeOktaUser) => boolean;

function attribute(user: FakeOktaUser, name: string): string | undefined {
  const profile: Record<string, string> = {
    login: user.login,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    displayName: user.displayName,
  };
  if (name === "id") return user.id;
  if (name === "status") return user.status;
  return name.startsWith("profile.") ? profile[name.slice("profile.".length)] : undefined;
}

/** A tiny parser for Okta's expression grammar; returns why it refused, as Okta's 400 would. */
function parseExpression(text: string, eqOnly: boolean): Matcher | string {
  const tokens = text.match(/\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const clause = (): Matcher | string => {
    if (peek() === "(") {
      at += 1;
      const inner = or();
      if (typeof inner === "string") return inner;
      if (tokens[at] !== ")") return "missing )";
      at += 1;
      return inner;
    }
    const [name, op, raw] = [tokens[at], tokens[at + 1]?.toLowerCase(), tokens[at + 2]];
    at += 3;
    if (name === undefined || op === undefined || raw === undefined || !raw.startsWith('"')) return `cannot read ${text}`;
    if (op !== "eq" && (eqOnly || op !== "sw")) return `operator ${op} is not supported here`;
    const value = raw.slice(1, -1).replace(/\\(.)/g, "$1").toLowerCase();
    return (user) => {
      const actual = attribute(user, name)?.toLowerCase();
      return actual !== undefined && (op === "eq" ? actual === value : actual.startsWith(value));
    };
  };
  const joined = (word: string, next: () => Matcher | string, combine: (a: Matcher, b: Matcher) => Matcher) => (): Matcher | string => {
    let left = next();
    while (typeof left !== "string" && peek()?.toLowerCase() === word) {
      at += 1;
      const right = next();
      if (typeof right === "string") return right;
      left = combine(left, right);
    }
    return left;
  };
  const and = joined("and", clause, (a, b) => (u) => a(u) && b(u));
  const or = joined("or", and, (a, b) => (u) => a(u) || b(u));
  const result = or();
  if (typeof result !== "string" && at < tokens.length) return `unexpected ${String(tokens[at])}`;
  return result;
}
