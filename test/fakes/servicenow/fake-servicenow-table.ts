import { randomBytes } from "node:crypto";

/** A record as the Table API stores it: every field a string; references hold the target's sys_id. */
export type FakeSnowRecord = Record<string, string>;

/** One sys_journal_field row: a work note or comment on a record. */
export interface FakeJournalEntry {
  readonly sys_id: string;
  readonly element_id: string;
  readonly element: "work_notes" | "comments";
  readonly name: string;
  readonly value: string;
  readonly sys_created_on: string;
  readonly sys_created_by: string;
}

export interface FakeSnowState {
  readonly tables: Map<string, Map<string, FakeSnowRecord>>;
  readonly journal: FakeJournalEntry[];
  readonly instanceUrl: () => string;
  /** The most rows one page returns whatever `sysparm_limit` asks (an instance-wide cap; default none). */
  readonly maxLimit: number | undefined;
  now(): number;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Journal fields: written through a record, read back as "" on it (PROVIDERS.md §5.5). */
export const JOURNAL_FIELDS = new Set(["work_notes", "comments"]);
const REFERENCES: Readonly<Record<string, string>> = {
  caller_id: "sys_user",
  requested_for: "sys_user",
  opened_by: "sys_user",
  assigned_to: "sys_user",
  request_item: "sc_req_item",
  request: "sc_request",
};

/** ServiceNow's error envelope. */
export const snowError = (status: number, message: string, detail: string | null = null): FakeReply => ({
  status,
  body: { error: { message, detail }, status: "failure" },
});

export const newSysId = (): string => randomBytes(16).toString("hex");

interface Term {
  readonly field: string;
  readonly op: "=" | "!=" | "LIKE" | "STARTSWITH";
  readonly value: string;
}

interface ParsedQuery {
  readonly terms: readonly Term[];
  readonly order: readonly { field: string; desc: boolean }[];
}

/**
 * An encoded query with the operators Verity uses: `=`, `!=`, `LIKE`, `STARTSWITH` joined by `^`,
 * and `ORDERBY`/`ORDERBYDESC`. Anything else is a 400 here (a real instance would quietly
 * ignore it or match nothing), so a client relying on more is caught.
 */
export function parseQuery(query: string): ParsedQuery | string {
  const terms: Term[] = [];
  const order: { field: string; desc: boolean }[] = [];
  for (const part of query.split("^")) {
    if (part === "") continue;
    if (part.startsWith("ORDERBYDESC")) order.push({ field: part.slice(11), desc: true });
    else if (part.startsWith("ORDERBY")) order.push({ field: part.slice(7), desc: false });
    else {
      const match = /^([a-z0-9_]+)(!=|STARTSWITH|LIKE|=)(.*)$/s.exec(part);
      if (match === null) return `unsupported query term ${part.slice(0, 40)}`;
      terms.push({ field: match[1] as string, op: match[2] as Term["op"], value: match[3] as string });
    }
  }
  return { terms, order };
}

// String comparisons ignore case, as on the usual MySQL collation (UNCONFIRMED for every field type).
function matches(record: FakeSnowRecord, term: Term): boolean {
  const have = (record[term.field] ?? "").toLowerCase();
  const want = term.value.toLowerCase();
  if (term.op === "=") return have === want;
  if (term.op === "!=") return have !== want;
  if (term.op === "LIKE") return have.includes(want);
  return have.startsWith(want);
}

function journalRows(state: FakeSnowState): Map<string, FakeSnowRecord> {
  return new Map(state.journal.map((j) => [j.sys_id, { ...j }]));
}

function rowsOf(state: FakeSnowState, table: string): Map<string, FakeSnowRecord> | undefined {
  return table === "sys_journal_field" ? journalRows(state) : state.tables.get(table);
}

function render(state: FakeSnowState, record: FakeSnowRecord, query: URLSearchParams): Record<string, unknown> {
  const fields = query.get("sysparm_fields")?.split(",").map((f) => f.trim()).filter((f) => f !== "");
  const bare = query.get("sysparm_exclude_reference_link") === "true";
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (fields !== undefined && !fields.includes(key)) continue;
    if (JOURNAL_FIELDS.has(key)) out[key] = "";
    else if (REFERENCES[key] !== undefined && value !== "" && !bare) out[key] = { link: `${state.instanceUrl()}/api/now/table/${REFERENCES[key]}/${value}`, value };
    else out[key] = value;
  }
  return out;
}

/**
 * `/api/now[/v1|/v2]/table/{table}[/{sys_id}]` after authentication: list with paging (`Link`,
 * `X-Total-Count`), read one, and PATCH/PUT one (journal fields become sys_journal_field rows).
 * v1 (and the unversioned path) answers a query with no rows with 404; v2 with 200 and [].
 */
export function handleTableApi(state: FakeSnowState, method: string, url: URL, body: string, writer: string): FakeReply {
  const match = /^\/api\/now(?:\/(v1|v2))?\/table\/([a-z0-9_]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
  if (match === null) return snowError(400, "Requested URI does not represent any resource", url.pathname);
  const [, version = "v1", table = "", sysId] = match;
  const rows = rowsOf(state, table);
  if (rows === undefined) return snowError(400, `Invalid table ${table}`);
  if (sysId === undefined) {
    if (method !== "GET") return snowError(405, "Method not Supported", `${method} is not supported on a table in this fake`);
    return list(state, rows, url, version);
  }
  const record = rows.get(sysId);
  if (record === undefined) return snowError(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval");
  if (method === "GET") return { status: 200, body: { result: render(state, record, url.searchParams) } };
  if (method === "PATCH" || method === "PUT") return update(state, table, record, body, url.searchParams, writer);
  return snowError(405, "Method not Supported");
}

function list(state: FakeSnowState, rows: Map<string, FakeSnowRecord>, url: URL, version: string): FakeReply {
  const query = url.searchParams;
  const parsed = parseQuery(query.get("sysparm_query") ?? "");
  if (typeof parsed === "string") return snowError(400, "Invalid query", parsed);
  let found = [...rows.values()].filter((r) => parsed.terms.every((t) => matches(r, t)));
  for (const { field, desc } of [...parsed.order].reverse()) {
    found = found.sort((a, b) => (a[field] ?? "").localeCompare(b[field] ?? "") * (desc ? -1 : 1));
  }
  const total = found.length;
  const asked = Number(query.get("sysparm_limit") ?? "10000");
  const limit = Math.min(Number.isInteger(asked) && asked > 0 ? asked : 10000, state.maxLimit ?? Number.POSITIVE_INFINITY);
  const offset = Math.max(0, Number(query.get("sysparm_offset") ?? "0") || 0);
  const page = found.slice(offset, offset + limit);
  if (page.length === 0 && version === "v1") return snowError(404, "No Record found", "Records not found");
  const link = (o: number, rel: string) => {
    const u = new URL(url.toString(), state.instanceUrl());
    u.searchParams.set("sysparm_offset", String(o));
    u.searchParams.set("sysparm_limit", String(limit));
    return `<${state.instanceUrl()}${u.pathname}${u.search}>;rel="${rel}"`;
  };
  const links = [link(0, "first")];
  if (offset > 0) links.push(link(Math.max(0, offset - limit), "prev"));
  if (offset + limit < total) links.push(link(offset + limit, "next"));
  links.push(link(Math.max(0, Math.floor((total - 1) / limit) * limit), "last"));
  return {
    status: 200,
    body: { result: page.map((r) => render(state, r, query)) },
    headers: { "x-total-count": String(total), link: links.join(",") },
  };
}

function update(state: FakeSnowState, table: string, record: FakeSnowRecord, body: string, query: URLSearchParams, writer: string): FakeReply {
  let changes: unknown;
  try {
    changes = JSON.parse(body);
  } catch {
    return snowError(400, "Exception while reading request", "The payload is not valid JSON.");
  }
  if (typeof changes !== "object" || changes === null || Array.isArray(changes)) return snowError(400, "Exception while reading request", "The payload is not a JSON object.");
  for (const [key, value] of Object.entries(changes)) {
    if (typeof value !== "string") continue;
    if (JOURNAL_FIELDS.has(key)) {
      if (value.trim() === "") continue;
      state.journal.push({
        sys_id: newSysId(),
        element_id: record.sys_id ?? "",
        element: key as FakeJournalEntry["element"],
        name: table,
        value,
        sys_created_on: new Date(state.now()).toISOString().replace("T", " ").slice(0, 19),
        sys_created_by: writer,
      });
    } else if (key in record && key !== "sys_id") {
      // The Table API ignores fields a record does not have (or the user may not write).
      record[key] = value;
    }
  }
  record.sys_updated_on = new Date(state.now()).toISOString().replace("T", " ").slice(0, 19);
  return { status: 200, body: { result: render(state, record, query) } };
}
