import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CALLER_PAGE_WORDS, isCallerPageKind } from "../../domain/methods.js";
import { z } from "zod";
import { ERRORS, isVerityError, VerityError, type ErrorCode } from "../../domain/errors.js";
import { VERIFYING_ROLES } from "../../domain/roles.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import type { VerificationView } from "../../services/views.js";
import type { WebSession } from "../../services/web-sessions.js";
import { Csrf, Layout, Notice, sendFragment, sendPage } from "./layout.js";
import { verifyLink } from "./verify-page.js";
import { requireSession } from "./web-auth.js";
import { methodLabel, outcomeWord, utc } from "./words.js";

const idParams = z.object({ id: z.uuid() });
/**
 * An error to show after a form post, by its registered code only: a link cannot make the page
 * say words of its own choosing.
 */
const flash = z.object({ error: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]).optional().catch(undefined) });
type Flash = z.output<typeof flash>;

/** What the technician should do now, for a verification still open. */
function Waiting(props: { v: VerificationView; session: WebSession; flash: Flash }) {
  const { v, session, flash: said } = props;
  const canResend = v.methodKind !== "passcode" && v.state !== "pending";
  return (
    <div>
      {v.state === "pending" ? (
        <p class="status" role="status">{v.stateReason ?? "Sending…"}</p>
      ) : isCallerPageKind(v.methodKind) ? (
        <LinkWaiting v={v} />
      ) : v.methodKind === "push" ? (
        <>
          <p class="status" role="status">
            Push sent to {v.subject.displayName}. Waiting for them to answer in the app…
          </p>
          {v.challenge === null ? null : (
            <p>
              Read this number to the caller: <span class="challenge" aria-label={`number ${v.challenge.split("").join(" ")}`}>{v.challenge}</span>
            </p>
          )}
        </>
      ) : (
        <p class="status" role="status">
          {v.methodKind === "passcode"
            ? `Ask ${v.subject.displayName} for the code their app shows now.`
            : v.state === "delivery_unknown"
              ? `The provider did not confirm the send to ${v.destination ?? "the registered factor"}. If the caller has no code, send a new one.`
              : `Code sent to ${v.destination ?? "the registered factor"}. Ask the caller to read it back.`}
        </p>
      )}
      <p class="hint">
        Expires <span data-expires={v.expiresAt}>{utc(v.expiresAt)}</span>
      </p>
      {v.checks.used > 0 && (v.methodKind === "code" || v.methodKind === "passcode") ? (
        <Notice kind="error">{`That code is not right. ${v.checks.remaining} check${v.checks.remaining === 1 ? "" : "s"} left.`}</Notice>
      ) : null}
      {v.sends > 1 && v.methodKind !== "passcode" ? <Notice kind="info">{`A new ${v.methodKind === "push" ? "push" : isCallerPageKind(v.methodKind) ? CALLER_PAGE_WORDS[v.methodKind].noun : "code"} was sent; earlier ones no longer work.`}</Notice> : null}
      {said.error === undefined ? null : <Notice kind="error">{`${ERRORS[said.error].message} (${said.error})`}</Notice>}
      {v.methodKind === "push" || isCallerPageKind(v.methodKind) || v.state === "pending" ? null : (
        <form method="post" action={`/verify/${v.id}/check`} id="code-form" data-id={v.id}>
          <Csrf session={session} />
          <label for="code">Code the caller reads out</label>
          <input type="text" id="code" name="code" class="code" inputMode="numeric" autocomplete="off" pattern="[0-9 -]{6,12}" required autofocus />
          <p class="hint">{`${v.checks.remaining} of ${v.checks.max} checks left.`}</p>
          <div class="actions">
            <button type="submit">Check code</button>
          </div>
        </form>
      )}
      <div class="actions">
        {canResend && v.methodKind === "code" ? (
          <form method="post" action={`/verify/${v.id}/resend`}>
            <Csrf session={session} />
            <button type="submit" class="secondary">
              Send a new code
            </button>
          </form>
        ) : null}
        {canResend && isCallerPageKind(v.methodKind) ? (
          <form method="post" action={`/verify/${v.id}/resend`}>
            <Csrf session={session} />
            <button type="submit" class="secondary">
              {`Send a new ${CALLER_PAGE_WORDS[v.methodKind].noun}`}
            </button>
          </form>
        ) : null}
        {canResend && v.methodKind === "push" ? (
          <form method="post" action={`/verify/${v.id}/resend`}>
            <Csrf session={session} />
            <button type="submit" class="secondary">
              Push again
            </button>
          </form>
        ) : null}
        <form method="post" action={`/verify/${v.id}/cancel`}>
          <Csrf session={session} />
          <button type="submit" class="danger">
            Cancel
          </button>
        </form>
      </div>
    </div>
  );
}

/** A confirmation link is out: whom we wait for, and the number to read them. */
function LinkWaiting(props: { v: VerificationView }) {
  const { v } = props;
  const words = CALLER_PAGE_WORDS[isCallerPageKind(v.methodKind) ? v.methodKind : "link"];
  return (
    <>
      <p class="status" role="status">
        {v.state === "delivery_unknown"
          ? `The provider did not confirm the link reached ${v.destination ?? "the registered factor"}. If the caller has nothing, send a new link.`
          : words.waiting(v.subject.displayName, v.destination ?? "the registered factor")}
      </p>
      {v.challenge === null ? null : (
        <p>
          Read them the number <span class="challenge" aria-label={`number ${v.challenge.split("").join(" ")}`}>{v.challenge}</span>; they pick it on the page the link opens.
        </p>
      )}
    </>
  );
}

/** What a verified caller proved, in the technician's words. */
function provedBy(v: VerificationView): string {
  if (isCallerPageKind(v.methodKind)) return CALLER_PAGE_WORDS[v.methodKind].proved(v.subject.displayName, v.destination ?? "their registered factor");
  if (v.methodKind === "push") return `${v.subject.displayName} approved the push in ${methodLabel(v.method).replace(/^Push to /, "")}.`;
  if (v.methodKind === "passcode") return `${v.subject.displayName} read the current code from ${methodLabel(v.method).replace(/^Code from /, "")}.`;
  return `${v.subject.displayName} read back the code sent to ${v.destination ?? "their registered factor"}.`;
}

/** The ending, large and in words; by whom and when; the evidence; the next step policy asks for. */
function Result(props: { v: VerificationView }) {
  const { v } = props;
  const { word, kind } = outcomeWord(v);
  const assuranceShort = v.state === "verified" && v.assurance.satisfied === false;
  const next = v.state === "verified" && v.policySatisfied === false && !assuranceShort;
  return (
    <div>
      <div class={`outcome ${kind}`} role="status">
        <p class="big">{word}</p>
        <p>{v.state === "verified" ? provedBy(v) : (v.stateReason ?? "").replace(/_/g, " ")}</p>
      </div>
      {next ? (
        <Notice kind="error">
          <strong>Policy is not yet satisfied:</strong> {`verify ${v.subject.displayName} with a second, different method before acting. `}
          <a href={verifyLink({ user: v.subject.id, tenant: v.tenant.id, ticket: v.ticket ?? undefined })}>Verify with a second method</a>
        </Notice>
      ) : null}
      {assuranceShort ? (
        <Notice kind="error">
          <strong>Policy is not yet satisfied:</strong> {`${v.subject.displayName} must still show ${v.assurance.stillNeeded ?? "a stronger method"}. `}
          <a href={verifyLink({ user: v.subject.id, tenant: v.tenant.id, ticket: v.ticket ?? undefined })}>Verify with another method</a>
        </Notice>
      ) : null}
      {v.secondMethod?.satisfiedBy !== null && v.secondMethod !== null ? (
        <Notice kind="ok">{`Policy satisfied: a second method (${methodLabel(v.secondMethod.satisfiedByMethod ?? "")}) also verified ${v.subject.displayName}.`}</Notice>
      ) : null}
      <dl class="facts">
        <dt>Ended</dt>
        <dd>{`${utc(v.completedAt)} · started by ${v.technician}`}</dd>
        {v.state === "verified" ? (
          <>
            <dt>Assurance</dt>
            <dd>{`Level ${v.assurance.rank} of 5: ${v.assurance.words}${v.assurance.required === null ? "" : v.assurance.satisfied === true ? " (meets policy)" : ""}`}</dd>
          </>
        ) : null}
        <dt>Evidence</dt>
        <dd>
          {v.receipt === null ? (
            "—"
          ) : (
            <>
              Audit event #{v.receipt.seq} ({v.receipt.action}) <span class="hash">{v.receipt.hash}</span>{" "}
              <a href={`/history/${v.id}`}>Details and audit trail</a>
            </>
          )}
        </dd>
      </dl>
      <div class="actions">
        <a class="button secondary" href="/verify">
          Verify another caller
        </a>
      </div>
    </div>
  );
}

/** What the panel shows changes only with these; verify.js compares them to each event's. */
export const panelSignature = (v: Pick<VerificationView, "state" | "checks" | "sends" | "challenge">): string =>
  [v.state, v.checks.used, v.sends, v.challenge ?? ""].join("|");

/** The live panel: the verification's facts, then what to do now or how it ended. Swapped in by verify.js. */
export function Panel(props: { v: VerificationView; session: WebSession; flash: Flash }) {
  const { v } = props;
  return (
    <section class="card" id="panel" data-id={v.id} data-final={String(v.final)} data-sig={panelSignature(v)} aria-labelledby="panel-h">
      <h2 id="panel-h">
        {v.subject.displayName} <span class="sub">· {v.tenant.name}</span>
      </h2>
      {v.developmentOnly ? (
        <p class="hint">
          DEMO: a development-only channel; nothing reaches a real person. Answer on the <a href="/demo/phone" target="demo-phone">demo phone</a>.
        </p>
      ) : null}
      <dl class="facts">
        <dt>Method</dt>
        <dd>{`${methodLabel(v.method)}${v.destination === null ? "" : ` to ${v.destination}`}`}</dd>
        <dt>Ticket</dt>
        <dd>{v.ticket ?? "—"}</dd>
        <dt>Technician</dt>
        <dd>{v.technician}</dd>
        {v.risk.signals.length === 0 ? null : (
          <>
            <dt>Risk flags</dt>
            <dd>{v.risk.signals.map((s) => s.detail).join(" ")}</dd>
          </>
        )}
      </dl>
      {v.final ? <Result v={v} /> : <Waiting v={v} session={props.session} flash={props.flash} />}
    </section>
  );
}

function LivePage(props: { v: VerificationView; session: WebSession; flash: Flash; demo: boolean }) {
  return (
    <Layout title={`Verifying ${props.v.subject.displayName}`} session={props.session} active="verify" scripts={["/static/web/verify.js"]} demo={props.demo}>
      <h1>Verify a caller</h1>
      <Panel v={props.v} session={props.session} flash={props.flash} />
    </Layout>
  );
}

/**
 * `/verify/:id`: the live status (verify.js follows the event stream and swaps in
 * `/verify/:id/panel`), the code box, resend and cancel, and the result with its evidence.
 * Every form also works without script (post, then back to the page).
 */
export function verifyLiveRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; demo: boolean }): void {
  const guard = requireSession(...VERIFYING_ROLES, "auditor");
  const actors = requireSession(...VERIFYING_ROLES);
  const idOf = (request: FastifyRequest) => {
    const parsed = idParams.safeParse(request.params);
    if (!parsed.success) throw new VerityError("VERIFICATION_NOT_FOUND");
    return parsed.data.id;
  };
  const flashOf = (request: FastifyRequest): Flash => {
    const parsed = flash.safeParse(request.query);
    return parsed.success ? parsed.data : {};
  };

  app.get("/verify/:id", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const v = await deps.engine.get(session.actor, idOf(request));
    return sendPage(reply, <LivePage v={v} session={session} flash={flashOf(request)} demo={deps.demo} />);
  });

  app.get("/verify/:id/panel", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const v = await deps.engine.get(session.actor, idOf(request));
    return sendFragment(reply, <Panel v={v} session={session} flash={flashOf(request)} />);
  });

  const back = (reply: FastifyReply, id: string, said?: Record<string, string>) =>
    reply.redirect(`/verify/${id}${said === undefined ? "" : `?${new URLSearchParams(said).toString()}`}`, 303);
  const act = (path: string, run: (session: WebSession, id: string, body: Record<string, unknown>) => Promise<Record<string, string> | undefined>) =>
    app.post(`/verify/:id/${path}`, { preHandler: actors }, async (request, reply) => {
      const session = request.webSession as WebSession;
      const id = idOf(request);
      try {
        return await back(reply, id, await run(session, id, (request.body ?? {}) as Record<string, unknown>));
      } catch (error) {
        if (!isVerityError(error) || error.status >= 500) throw error;
        return back(reply, id, { error: error.code });
      }
    });

  act("check", async (session, id, body) => {
    await deps.engine.check(session.actor, id, typeof body.code === "string" ? body.code : "");
    return undefined;
  });
  act("resend", async (session, id) => {
    await deps.engine.resend(session.actor, id);
    return undefined;
  });
  act("cancel", async (session, id) => {
    await deps.engine.cancel(session.actor, id, "cancelled in the web app");
    return undefined;
  });
}
