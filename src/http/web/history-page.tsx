import { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { csvCell } from "../../cli/audit-format.js";
import { isVerityError, VerityError } from "../../domain/errors.js";
import { VERIFYING_ROLES } from "../../domain/roles.js";
import type { HistoryFilter, HistoryPage } from "../../services/history.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import type { VerificationView } from "../../services/views.js";
import type { WebSession } from "../../services/web-sessions.js";
import { Layout, Notice, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";
import { methodLabel, outcomeWord, utc } from "./words.js";

/** The filters as the form sends them: blank fields mean "any". Dates are UTC days, both inclusive. */
const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const field = (max: number) => z.preprocess(blank, z.string().trim().max(max).optional());
const day = z.preprocess(blank, z.iso.date().optional());
const historyQuery = z.object({
  tenant: field(63),
  technician: field(254),
  caller: field(254),
  outcome: field(20),
  method: field(40),
  from: day,
  to: day,
  cursor: field(200),
});
type HistoryQuery = z.output<typeof historyQuery>;
type Raw = Partial<Record<keyof HistoryQuery, string>>;

const OUTCOMES: [string, string][] = [
  ["verified", "VERIFIED"],
  ["rejected", "REJECTED, DENIED or FRAUD REPORTED"],
  ["expired", "EXPIRED"],
  ["cancelled", "CANCELLED"],
  ["failed", "FAILED"],
  ["open", "WAITING (still open)"],
];
const FLAG: Record<string, string> = { verified: "ok", rejected: "block", denied: "block", fraud: "block", failed: "block" };

const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00.000Z`) + 86_400_000).toISOString();

/** The engine's filter for a parsed query (`outcome` is checked by the engine). */
function toFilter(q: HistoryQuery, limit?: number): HistoryFilter {
  const { from, to, outcome, ...rest } = q;
  return {
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    ...(outcome === undefined ? {} : { outcome: outcome as HistoryFilter["outcome"] }),
    ...(from === undefined ? {} : { from: `${from}T00:00:00.000Z` }),
    ...(to === undefined ? {} : { to: nextDay(to) }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** The query string for these filters (blank ones left out), with `extra` on top. */
function linkTo(path: string, raw: Raw, extra: Raw = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...raw, ...extra })) if (value !== undefined && value !== "") params.set(key, value);
  const query = params.toString();
  return query === "" ? path : `${path}?${query}`;
}

function Filters(props: { raw: Raw; choices: HistoryPage["choices"] }) {
  const { raw, choices } = props;
  const text = (name: keyof Raw, label: string, hint?: string) => (
    <div>
      <label for={`f-${name}`}>{label}</label>
      <input type="text" id={`f-${name}`} name={name} value={raw[name] ?? ""} maxLength={254} {...(hint === undefined ? {} : { placeholder: hint })} />
    </div>
  );
  const select = (name: keyof Raw, label: string, options: [string, string][]) => (
    <div>
      <label for={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} name={name}>
        <option value="">Any</option>
        {options.map(([value, words]) => (
          <option value={value} selected={raw[name] === value}>
            {words}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form method="get" action="/history" class="card" aria-labelledby="filters-h">
      <h2 id="filters-h">Filter</h2>
      <div class="filters">
        {select("tenant", "Tenant", choices.tenants.map((t) => [t.id, t.name]))}
        {text("technician", "Technician", "name or id")}
        {text("caller", "Caller", "name or directory id")}
        {select("outcome", "Outcome", OUTCOMES)}
        {select("method", "Method", choices.methods.map((m) => [m, methodLabel(m)]))}
        <div>
          <label for="f-from">From (UTC day)</label>
          <input type="date" id="f-from" name="from" value={raw.from ?? ""} />
        </div>
        <div>
          <label for="f-to">To (UTC day, included)</label>
          <input type="date" id="f-to" name="to" value={raw.to ?? ""} />
        </div>
      </div>
      <div class="actions">
        <button type="submit">Show</button>
        <a href="/history">Clear the filters</a>
        <a href={linkTo("/history.csv", { ...raw, cursor: undefined })} download>
          Download as CSV
        </a>
      </div>
    </form>
  );
}

function Rows(props: { items: readonly VerificationView[] }) {
  return (
    <table>
      <caption class="hint">Newest first; times in UTC.</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Caller</th>
          <th scope="col" class="optional">Tenant</th>
          <th scope="col" class="optional">Method</th>
          <th scope="col">Outcome</th>
          <th scope="col">Technician</th>
          <th scope="col" class="optional">Ticket</th>
          <th scope="col"><span aria-hidden="true">Details</span></th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((v) => {
          const { word, kind } = outcomeWord(v);
          return (
            <tr>
              <td>{utc(v.createdAt)}</td>
              <td>{v.subject.displayName}</td>
              <td class="optional">{v.tenant.name}</td>
              <td class="optional">{methodLabel(v.method)}</td>
              <td>
                <span class={`flag ${FLAG[kind] ?? "warn"}`}>{word}</span>
              </td>
              <td>{v.technician}</td>
              <td class="optional">{v.ticket ?? "—"}</td>
              <td>
                <a href={`/history/${v.id}`} aria-label={`Details of ${v.subject.displayName}, ${utc(v.createdAt)}`}>
                  Details
                </a>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function HistoryView(props: { session: WebSession; raw: Raw; page: HistoryPage; error?: VerityError; demo: boolean }) {
  const { raw, page } = props;
  const scope = props.session.user.role === "verifier" ? "Verifications you started." : null;
  return (
    <Layout title="History" session={props.session} active="history" demo={props.demo}>
      <h1>History</h1>
      {scope === null ? null : <p class="hint">{scope}</p>}
      {props.error === undefined ? null : <Notice kind="error">{`${props.error.message} (${props.error.code})`}</Notice>}
      <Filters raw={raw} choices={page.choices} />
      <section aria-labelledby="results-h">
        <h2 id="results-h">{page.items.length === 0 ? "No verifications match." : `${page.items.length} verification${page.items.length === 1 ? "" : "s"}${raw.cursor === undefined ? "" : " (a later page)"}`}</h2>
        {page.items.length === 0 ? null : <Rows items={page.items} />}
        <div class="actions">
          {raw.cursor === undefined ? null : <a href={linkTo("/history", { ...raw, cursor: undefined })}>Newest</a>}
          {page.next === null ? null : (
            <a class="button secondary" href={linkTo("/history", raw, { cursor: page.next })} rel="next">
              Older verifications
            </a>
          )}
        </div>
      </section>
    </Layout>
  );
}

const CSV_HEADER = [
  "started_at", "ended_at", "id", "tenant_id", "tenant", "caller_id", "caller", "method", "state", "state_reason", "outcome",
  "technician", "ticket", "reason", "destination", "checks_used", "sends", "risk_decision", "policy_satisfied", "receipt_seq", "receipt_hash",
];
const csvLine = (v: VerificationView) =>
  [
    v.createdAt, v.completedAt, v.id, v.tenant.id, v.tenant.name, v.subject.id, v.subject.displayName, v.method, v.state, v.stateReason,
    outcomeWord(v).word, v.technician, v.ticket, v.reason, v.destination, v.checks.used, v.sends, v.risk.decision, v.policySatisfied,
    v.receipt?.seq, v.receipt?.hash,
  ].map(csvCell).join(",");

/**
 * `/history` (filters in the URL, a page of 50, newest first, a link to the next page) and
 * `/history.csv` (every match, streamed, spreadsheet-safe). Who sees what is the engine's rule.
 */
export function historyRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; demo: boolean }): void {
  const guard = requireSession(...VERIFYING_ROLES, "auditor");
  const rawOf = (request: FastifyRequest): Raw => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const raw: Raw = {};
    for (const key of Object.keys(historyQuery.shape) as (keyof Raw)[]) {
      const value = query[key];
      if (typeof value === "string") raw[key] = value;
    }
    return raw;
  };
  const parse = (raw: Raw): HistoryQuery => {
    const parsed = historyQuery.safeParse(raw);
    if (!parsed.success) throw new VerityError("VALIDATION_FAILED", { message: `The ${parsed.error.issues[0]?.path.join(".") ?? ""} filter is not valid.` });
    return parsed.data;
  };

  app.get("/history", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const raw = rawOf(request);
    try {
      const page = await deps.engine.list(session.actor, toFilter(parse(raw)));
      return await sendPage(reply, <HistoryView session={session} raw={raw} page={page} demo={deps.demo} />);
    } catch (error) {
      if (!isVerityError(error) || error.status >= 500) throw error;
      const { choices } = await deps.engine.list(session.actor, { limit: 1 });
      return sendPage(reply, <HistoryView session={session} raw={raw} page={{ items: [], next: null, choices }} error={error} demo={deps.demo} />, error.status);
    }
  });

  app.get("/history.csv", { preHandler: guard }, (request, reply) => {
    const session = request.webSession as WebSession;
    const rows = deps.engine.streamList(session.actor, toFilter({ ...parse(rawOf(request)), cursor: undefined }));
    async function* lines() {
      yield `${CSV_HEADER.join(",")}\r\n`;
      for await (const v of rows) yield `${csvLine(v)}\r\n`;
    }
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", 'attachment; filename="verity-history.csv"')
      .header("cache-control", "no-store")
      .send(Readable.from(lines()));
  });
}
