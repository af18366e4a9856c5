// A small OData `$filter` evaluator covering what Graph supports on the resources the fake
// serves: `eq`/`ne`/`ge`/`le`/`gt`/`lt`, `and`/`or`, parentheses, `startswith(prop,'x')` and the
// `collection/any(v: v/prop eq 'x')` lambda. String literals double their single quotes.
// Directory string comparisons are case-insensitive, as in Entra. Anything else is an
// ODataError, which the fake answers with Graph's 400.

export class ODataError extends Error {}

type Literal = string | number | boolean | null | Date;
type Token = { kind: "string"; value: string } | { kind: "word"; value: string } | { kind: "punct"; value: string } | { kind: "datetime"; value: Date };

type Node =
  | { kind: "or" | "and"; left: Node; right: Node }
  | { kind: "compare"; op: string; path: string[]; value: Literal }
  | { kind: "startswith"; path: string[]; value: string }
  | { kind: "any"; path: string[]; variable: string; body: Node };

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === "'") {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) throw new ODataError("unterminated string literal");
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
      tokens.push({ kind: "string", value });
    } else if ("():,".includes(ch)) {
      tokens.push({ kind: "punct", value: ch });
      i += 1;
    } else {
      const date = DATETIME.exec(text.slice(i));
      if (date !== null) {
        tokens.push({ kind: "datetime", value: new Date(date[0]) });
        i += date[0].length;
        continue;
      }
      const word = /^[A-Za-z0-9_./@#$-]+/.exec(text.slice(i));
      if (word === null) throw new ODataError(`unexpected character ${ch}`);
      tokens.push({ kind: "word", value: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

/** Parses a `$filter` expression; `allowed` lists the property paths the resource filters on. */
export function parseFilter(text: string, allowed: readonly string[]): Node {
  const tokens = tokenize(text);
  let at = 0;
  const variables: string[] = [];
  const peek = () => tokens[at];
  const next = () => {
    const token = tokens[at];
    if (token === undefined) throw new ODataError("unexpected end of filter");
    at += 1;
    return token;
  };
  const expect = (value: string) => {
    const token = next();
    if (token.kind !== "punct" || token.value !== value) throw new ODataError(`expected ${value}`);
  };
  const word = (): string => {
    const token = next();
    if (token.kind !== "word") throw new ODataError("expected a name");
    return token.value;
  };
  const isWord = (value: string) => {
    const token = peek();
    return token?.kind === "word" && token.value.toLowerCase() === value;
  };
  const checkPath = (path: string[]) => {
    const root = path[0] ?? "";
    const name = variables.includes(root) ? `$lambda/${path.slice(1).join("/")}` : path.join("/");
    if (!allowed.includes(name)) throw new ODataError(`unsupported property ${path.join("/")}`);
  };
  const literal = (): Literal => {
    const token = next();
    if (token.kind === "string" || token.kind === "datetime") return token.value;
    if (token.kind === "word") {
      if (token.value === "null") return null;
      if (token.value === "true" || token.value === "false") return token.value === "true";
      if (/^-?\d+(\.\d+)?$/.test(token.value)) return Number(token.value);
    }
    throw new ODataError("expected a literal");
  };

  const primary = (): Node => {
    const token = next();
    if (token.kind === "punct" && token.value === "(") {
      const inner = orExpr();
      expect(")");
      return inner;
    }
    if (token.kind !== "word") throw new ODataError("expected a property");
    if (token.value.toLowerCase() === "startswith") {
      expect("(");
      const path = word().split("/");
      checkPath(path);
      expect(",");
      const value = literal();
      expect(")");
      if (typeof value !== "string") throw new ODataError("startswith takes a string");
      return { kind: "startswith", path, value };
    }
    const path = token.value.split("/");
    if (path.at(-1)?.toLowerCase() === "any") {
      const collection = path.slice(0, -1);
      checkPath([...collection, "any"]);
      expect("(");
      const variable = word();
      expect(":");
      variables.push(variable);
      const body = orExpr();
      variables.pop();
      expect(")");
      return { kind: "any", path: collection, variable, body };
    }
    checkPath(path);
    const op = word().toLowerCase();
    if (!["eq", "ne", "ge", "le", "gt", "lt"].includes(op)) throw new ODataError(`unsupported operator ${op}`);
    return { kind: "compare", op, path, value: literal() };
  };
  const andExpr = (): Node => {
    let left = primary();
    while (isWord("and")) {
      at += 1;
      left = { kind: "and", left, right: primary() };
    }
    return left;
  };
  const orExpr = (): Node => {
    let left = andExpr();
    while (isWord("or")) {
      at += 1;
      left = { kind: "or", left, right: andExpr() };
    }
    return left;
  };
  const tree = orExpr();
  if (at !== tokens.length) throw new ODataError("trailing text in filter");
  return tree;
}

/** The property paths and operators a parsed filter uses (`startswith` and `any` count as operators). */
export function filterUses(node: Node): { properties: string[]; operators: string[] } {
  switch (node.kind) {
    case "or":
    case "and": {
      const left = filterUses(node.left);
      const right = filterUses(node.right);
      return { properties: [...left.properties, ...right.properties], operators: [node.kind, ...left.operators, ...right.operators] };
    }
    case "startswith":
      return { properties: [node.path.join("/")], operators: ["startswith"] };
    case "compare":
      return { properties: [node.path.join("/")], operators: [node.op] };
    case "any": {
      const body = filterUses(node.body);
      return { properties: [node.path.join("/"), ...body.properties], operators: ["any", ...body.operators] };
    }
  }
}

/** Whether `item` matches the parsed filter. */
export function matches(node: Node, item: unknown, scope: Readonly<Record<string, unknown>> = {}): boolean {
  switch (node.kind) {
    case "or":
      return matches(node.left, item, scope) || matches(node.right, item, scope);
    case "and":
      return matches(node.left, item, scope) && matches(node.right, item, scope);
    case "startswith": {
      const value = resolve(node.path, item, scope);
      return typeof value === "string" && value.toLowerCase().startsWith(node.value.toLowerCase());
    }
    case "any": {
      const collection = resolve(node.path, item, scope);
      return Array.isArray(collection) && collection.some((element: unknown) => matches(node.body, item, { ...scope, [node.variable]: element }));
    }
    case "compare":
      return compare(node.op, resolve(node.path, item, scope), node.value);
  }
}

function resolve(path: string[], item: unknown, scope: Readonly<Record<string, unknown>>): unknown {
  const [root, ...rest] = path;
  let current: unknown = root !== undefined && root in scope ? scope[root] : item;
  for (const segment of root !== undefined && root in scope ? rest : path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function compare(op: string, actual: unknown, expected: Literal): boolean {
  let a: unknown = actual;
  let b: unknown = expected;
  if (expected instanceof Date) {
    a = typeof actual === "string" ? Date.parse(actual) : Number.NaN;
    b = expected.getTime();
  } else if (typeof actual === "string" && typeof expected === "string") {
    a = actual.toLowerCase();
    b = expected.toLowerCase();
  }
  switch (op) {
    case "eq":
      return a === b;
    case "ne":
      return a !== b;
    default: {
      if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string")) return false;
      const x = a;
      const y = b as number | string;
      return op === "ge" ? x >= y : op === "le" ? x <= y : op === "gt" ? x > y : x < y;
    }
  }
}
