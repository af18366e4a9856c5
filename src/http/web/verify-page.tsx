import { assuranceRank } from "../../domain/assurance.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isVerityError, type VerityError } from "../../domain/errors.js";
import { VERIFYING_ROLES } from "../../domain/roles.js";
import type { UserLookupView } from "../../services/lookup.js";
import type { SearchResult } from "../../services/search.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import type { WebSession } from "../../services/web-sessions.js";
import { Csrf, Layout, Notice, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";
import { methodLabel, methodRank } from "./words.js";

const startQuery = z.object({
  q: z.string().trim().max(100).optional(),
  user: z.string().trim().max(254).optional(),
  tenant: z.string().max(63).optional(),
  ticket: z.string().trim().max(64).optional(),
  /** The ticketing system (configured name) the ticket is in: with `ticket` and no `user`, the ticket's contact is the caller. */
  system: z.string().trim().max(63).optional(),
  reason: z.string().trim().max(500).optional(),
});
type StartQuery = z.output<typeof startQuery>;

const startForm = z.object({
  user: z.string().trim().min(1).max(254),
  tenant: z.string().max(63).optional(),
  method: z.string().max(40),
  ticket: z.string().trim().max(64).optional(),
  system: z.string().trim().max(63).optional(),
  reason: z.string().trim().max(500).optional(),
  overrideFraudFlag: z.literal("1").optional(),
});

const signalClass = (action: string) => (action === "block" ? "block" : action === "allow" ? "ok" : "warn");
const DECISION_WORDS: Record<string, string> = {
  allow: "Policy: go ahead.",
  warn: "Policy: go ahead, mindful of the flags below.",
  second_method: "Policy: verify with two different methods before acting.",
  block: "Policy: do not verify this caller here; escalate.",
};

/** The search box: results as the technician types (verify.js); without script, a plain search. */
function Search(props: { query: StartQuery; result: SearchResult | null }) {
  const { query, result } = props;
  return (
    <section class="card" aria-labelledby="find-h">
      <h2 id="find-h">Find the caller</h2>
      <form method="get" action="/verify" role="search" id="search-form">
        <label for="q">Name, email, UPN, account name or provider user id</label>
        <input
          type="search"
          id="q"
          name="q"
          value={query.q ?? ""}
          autocomplete="off"
          autofocus={query.user === undefined}
          aria-controls="results"
          aria-describedby="search-status"
        />
        {query.ticket === undefined ? null : <input type="hidden" name="ticket" value={query.ticket} />}
        {query.system === undefined ? null : <input type="hidden" name="system" value={query.system} />}
        {query.reason === undefined ? null : <input type="hidden" name="reason" value={query.reason} />}
        <div class="actions">
          <button type="submit" class="secondary">
            Search
          </button>
        </div>
      </form>
      <p id="search-status" class="hint" role="status" aria-live="polite">
        {result === null ? "" : result.matches.length === 0 ? "No caller matches." : `${result.matches.length} found.`}
      </p>
      <ul id="results" class="results">
        {(result?.matches ?? []).map((m) => (
          <li>
            <a href={verifyLink({ user: m.id, tenant: m.tenant.id, ticket: query.ticket, reason: query.reason })}>
              <strong>{m.displayName}</strong> <span class="sub">{`${m.upn} · ${m.tenant.name}`}</span>
            </a>
          </li>
        ))}
      </ul>
      {(result?.unavailable ?? []).map((u) => (
        <p class="hint">{`${u.tenant}: ${u.reason}`}</p>
      ))}
    </section>
  );
}

export function verifyLink(q: { user: string; tenant?: string | undefined; ticket?: string | undefined; reason?: string | undefined }): string {
  const params = new URLSearchParams({ user: q.user });
  if (q.tenant !== undefined) params.set("tenant", q.tenant);
  if (q.ticket !== undefined && q.ticket !== "") params.set("ticket", q.ticket);
  if (q.reason !== undefined && q.reason !== "") params.set("reason", q.reason);
  return `/verify?${params.toString()}`;
}

/** The caller card: who, where, the policy's word first, risk flags, factors, then the methods (recommended first). */
function CallerCard(props: { view: UserLookupView; query: StartQuery; session: WebSession; lookedUp: string }) {
  const { view, query, session } = props;
  const methods = [...view.methods].sort((a, b) => Number(b.available) - Number(a.available) || methodRank(a.method) - methodRank(b.method));
  const recommended = view.risk.decision === "block" ? undefined : methods.find((m) => m.available)?.method;
  return (
    <section class="card" aria-labelledby="caller-h">
      <h2 id="caller-h">
        {view.user.displayName} <span class="sub">· {view.tenant.name}</span>
      </h2>
      <p class={`notice ${view.risk.decision === "block" ? "error" : view.risk.decision === "allow" ? "ok" : "info"}`}>
        <strong>{DECISION_WORDS[view.risk.decision] ?? view.risk.decision}</strong>
      </p>
      {view.risk.signals.length === 0 ? (
        <p class="hint">No risk flags.</p>
      ) : (
        <ul class="plain" aria-label="Risk flags">
          {view.risk.signals.map((s) => (
            <li>
              <span class={`flag ${signalClass(s.action)}`}>{s.action.replace("_", " ")}</span> {s.detail}
            </li>
          ))}
        </ul>
      )}
      {view.fraudFlag === null ? null : (
        <p class="notice error">
          <strong>Flagged for fraud.</strong> {`${view.fraudFlag} For 24 hours a new verification needs an administrator's override.`}
        </p>
      )}
      <dl class="facts">
        <dt>Policy requires</dt>
        <dd>{`Assurance ${view.assurance.requiredWords}${view.assurance.orTwoMethods && view.assurance.required !== "possession" ? ", or two different methods" : ""}`}</dd>
        <dt>Account</dt>
        <dd>{view.user.upn}{view.user.privileged ? " · privileged" : ""}</dd>
        <dt>Registered</dt>
        <dd>
          {view.factors.length === 0
            ? "no factors"
            : view.factors.map((f) => `${f.type} ${f.destination}${f.usable ? "" : ` (${f.note ?? "not usable"})`}`).join(" · ")}
        </dd>
      </dl>
      <form method="post" action="/verify/start" id="start-form">
        <Csrf session={session} />
        <input type="hidden" name="user" value={props.lookedUp} />
        <input type="hidden" name="tenant" value={view.tenant.id} />
        {query.system === undefined || query.system === "" ? null : <input type="hidden" name="system" value={query.system} />}
        <fieldset class="methods">
          <legend>How to verify</legend>
          {methods.map((m) => (
            <label class={`method${m.available ? "" : " unavailable"}`}>
              <input type="radio" name="method" value={m.method} disabled={!m.available} checked={m.method === recommended} required />
              <span>
                {methodLabel(m.method)}
                {m.method === recommended ? <span class="recommended">Recommended</span> : null}
                <span class="why">{`${m.destination === null ? m.detail : `${m.destination} · ${m.detail}`} · assurance level ${assuranceRank(view.assurance.byMethod[m.method] ?? "possession")}`}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div class="grid">
          <div>
            <label for="ticket">{query.system === undefined || query.system === "" ? "Ticket number (optional)" : `Ticket number in ${query.system}`}</label>
            <input type="text" id="ticket" name="ticket" value={query.ticket ?? ""} maxLength={64} />
          </div>
          <div>
            <label for="reason">Reason (optional, for the audit log)</label>
            <input type="text" id="reason" name="reason" value={query.reason ?? ""} maxLength={500} />
          </div>
        </div>
        {view.fraudFlag !== null && session.actor.role === "admin" ? (
          <label class="method">
            <input type="checkbox" name="overrideFraudFlag" value="1" required /> <span>I am an administrator and override the fraud flag for this verification (audited)</span>
          </label>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={recommended === undefined || (view.fraudFlag !== null && session.actor.role !== "admin")}>
            Start verification
          </button>
        </div>
      </form>
    </section>
  );
}

function StartPage(props: { session: WebSession; query: StartQuery; result: SearchResult | null; view: UserLookupView | null; error?: VerityError; demo: boolean }) {
  return (
    <Layout title="Verify a caller" session={props.session} active="verify" scripts={["/static/web/verify.js"]} demo={props.demo}>
      <h1>Verify a caller</h1>
      {props.error === undefined ? null : <Notice kind="error">{`${props.error.message} (${props.error.code})`}</Notice>}
      <Search query={props.query} result={props.result} />
      {props.view === null ? null : <CallerCard view={props.view} query={props.query} session={props.session} lookedUp={props.query.user ?? ""} />}
    </Layout>
  );
}

/**
 * `/verify`: find the caller (search as you type), see their card (the policy's word, risk
 * flags, masked factors, methods with the recommended one first), start. A PSA button or link can
 * open it pre-filled: `/verify?user=…&ticket=…`, or with only the ticket, `/verify?system=<name>&ticket=…`,
 * when the ticket's contact (read from that ticketing system) is the caller.
 */
export function verifyStartRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; demo: boolean }): void {
  const guard = requireSession(...VERIFYING_ROLES);

  const render = async (request: FastifyRequest, reply: FastifyReply, query: StartQuery, error?: VerityError) => {
    const session = request.webSession as WebSession;
    let result: SearchResult | null = null;
    let view: UserLookupView | null = null;
    let failure = error;
    try {
      if (query.q !== undefined && query.q.length >= 2) result = await deps.engine.search(session.actor, query.q);
      // A PSA's link names the ticket, not the caller: the ticketing system says who it is for.
      if ((query.user === undefined || query.user === "") && query.system !== undefined && query.system !== "" && query.ticket !== undefined && query.ticket !== "") {
        const caller = await deps.engine.ticketCaller(session.actor, query.system, query.ticket);
        query = { ...query, user: caller.user, tenant: caller.tenant };
      }
      if (query.user !== undefined && query.user !== "") view = await deps.engine.lookup(session.actor, query.user, query.tenant);
    } catch (caught) {
      if (!isVerityError(caught)) throw caught;
      failure ??= caught;
    }
    return sendPage(
      reply,
      <StartPage session={session} query={query} result={result} view={view} demo={deps.demo} {...(failure === undefined ? {} : { error: failure })} />,
      failure === undefined ? 200 : failure.status,
    );
  };

  app.get("/verify", { preHandler: guard }, async (request, reply) => {
    const query = startQuery.safeParse(request.query);
    return render(request, reply, query.success ? query.data : {});
  });

  app.post("/verify/start", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const form = startForm.safeParse(request.body);
    if (!form.success) return render(request, reply, {}, undefined);
    const { user, tenant, method, ticket, system, reason, overrideFraudFlag } = form.data;
    try {
      const view = await deps.engine.start(session.actor, {
        user,
        tenant,
        method,
        ticket: ticket === undefined || ticket === "" ? null : ticket,
        ticketSystem: system === undefined || system === "" || ticket === undefined || ticket === "" ? null : system,
        reason: reason === undefined || reason === "" ? null : reason,
        overrideFraudFlag: overrideFraudFlag === "1",
      });
      return await reply.redirect(`/verify/${view.id}`, 303);
    } catch (error) {
      if (!isVerityError(error)) throw error;
      if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
      return render(request, reply, { user, tenant, ticket, system, reason }, error);
    }
  });
}
