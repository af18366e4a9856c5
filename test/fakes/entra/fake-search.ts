// Graph's `$search` on /users, as Microsoft's "Use the $search query parameter" page describes
// it for directory objects: quoted `"property:text"` clauses joined by upper-case AND / OR, with
// parentheses for precedence; inside a clause a double quote or backslash is escaped with a
// backslash. displayName is matched by tokens, every other property as `startsWith`, both
// regardless of case. Directory objects take $search only as an advanced query: without the
// `ConsistencyLevel: eventual` header Graph answers 400 (no $count=true is needed for $search).
//
// Tokens: words split at spaces, at a change from lower to upper case (not upper to lower:
// `HELLOworld` is one token), between letters, digits and symbols; the letters and digits of a
// word are also joined into one token (`hello.world` gives `hello`, `world`, `helloworld`). Each
// word of the search text must be a prefix of some token of the value, in any order
// (`displayName:wa` finds "Oscar Ward", Microsoft's example). UNCONFIRMED details the page does
// not settle: symbol-only tokens are ignored on both sides; the error code and message for a
// malformed expression or an unsearchable property.

export class SearchError extends Error {}

/** Graph's answer to $search without the header, verbatim from "Advanced query capabilities". */
export const SEARCH_NEEDS_EVENTUAL = "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'";

type SearchNode = { kind: "and" | "or"; left: SearchNode; right: SearchNode } | { kind: "clause"; property: string; text: string };

const TOKENIZED = new Set(["displayName"]);
const STARTS_WITH = new Set(["mail", "userPrincipalName", "givenName", "surname", "jobTitle", "officeLocation", "mobilePhone", "onPremisesSamAccountName"]);

/** Parses a `$search` value (already percent-decoded). */
export function parseSearch(raw: string): SearchNode {
  let at = 0;
  const skipSpace = () => {
    while (at < raw.length && /\s/.test(raw.charAt(at))) at += 1;
  };
  const keyword = (word: "AND" | "OR"): boolean => {
    skipSpace();
    if (!raw.startsWith(word, at) || /[A-Za-z0-9]/.test(raw.charAt(at + word.length))) return false;
    at += word.length;
    return true;
  };
  const clause = (): SearchNode => {
    at += 1;
    let body = "";
    for (;;) {
      if (at >= raw.length) throw new SearchError("a clause is missing its closing double quote");
      const ch = raw.charAt(at);
      if (ch === "\\") {
        const escaped = raw.charAt(at + 1);
        if (escaped !== '"' && escaped !== "\\") throw new SearchError(`'\\${escaped}' is not an escape; only \\" and \\\\ are`);
        body += escaped;
        at += 2;
      } else if (ch === '"') {
        at += 1;
        break;
      } else {
        body += ch;
        at += 1;
      }
    }
    const colon = body.indexOf(":");
    const property = body.slice(0, colon);
    const text = body.slice(colon + 1);
    if (colon <= 0 || text === "") throw new SearchError(`a clause must be "property:text", not "${body}"`);
    if (!TOKENIZED.has(property) && !STARTS_WITH.has(property)) throw new SearchError(`property '${property}' of resource 'User' cannot be searched`);
    return { kind: "clause", property, text };
  };
  const primary = (): SearchNode => {
    skipSpace();
    const ch = raw.charAt(at);
    if (ch === '"') return clause();
    if (ch === "(") {
      at += 1;
      const inner = orExpr();
      skipSpace();
      if (raw.charAt(at) !== ")") throw new SearchError("a parenthesis is not closed");
      at += 1;
      return inner;
    }
    throw new SearchError("expected a clause in double quotes, such as \"displayName:jo\"");
  };
  const andExpr = (): SearchNode => {
    let left = primary();
    while (keyword("AND")) left = { kind: "and", left, right: primary() };
    return left;
  };
  const orExpr = (): SearchNode => {
    let left = andExpr();
    while (keyword("OR")) left = { kind: "or", left, right: andExpr() };
    return left;
  };
  const tree = orExpr();
  skipSpace();
  if (at !== raw.length) throw new SearchError("clauses must be joined by AND or OR, in upper case");
  return tree;
}

interface Word {
  readonly parts: readonly string[];
  readonly joined: string;
}

/** The words of `text` as directory search splits them, lower-cased; symbol-only words dropped. */
export function searchWords(text: string): Word[] {
  return text
    .split(/\s+/u)
    .map((word) => {
      const runs = word.match(/(?:\p{L}\p{M}*)+|\p{N}+/gu) ?? [];
      const parts = runs.flatMap((run) => run.replace(/(\p{Ll})(\p{Lu})/gu, "$1\u0000$2").split("\u0000")).map((p) => p.toLowerCase());
      return { parts, joined: runs.join("").toLowerCase() };
    })
    .filter((word) => word.joined !== "");
}

function tokensMatch(value: string, text: string): boolean {
  const tokens = searchWords(value).flatMap((word) => [...word.parts, word.joined]);
  const prefixes = (t: string) => tokens.some((token) => token.startsWith(t));
  const words = searchWords(text);
  return words.length > 0 && words.every((word) => word.parts.every(prefixes) || prefixes(word.joined));
}

function evaluate(node: SearchNode, item: Record<string, unknown>): boolean {
  if (node.kind !== "clause") {
    return node.kind === "and" ? evaluate(node.left, item) && evaluate(node.right, item) : evaluate(node.left, item) || evaluate(node.right, item);
  }
  const value = item[node.property];
  if (typeof value !== "string") return false;
  return TOKENIZED.has(node.property) ? tokensMatch(value, node.text) : value.toLowerCase().startsWith(node.text.toLowerCase());
}

/** The predicate of a request's `$search`, or one that keeps everything when there is none. */
export function searchOf(url: URL): (item: Record<string, unknown>) => boolean {
  const raw = url.searchParams.get("$search");
  if (raw === null) return () => true;
  const tree = parseSearch(raw);
  return (item) => evaluate(tree, item);
}
