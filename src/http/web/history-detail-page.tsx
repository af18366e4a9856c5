import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ChainedAuditEvent } from "../../domain/audit-chain.js";
import { VerityError } from "../../domain/errors.js";
import { VERIFYING_ROLES } from "../../domain/roles.js";
import type { ChainStatus, ChainStatusNow } from "../../services/chain-status.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import type { VerificationView } from "../../services/views.js";
import type { WebSession } from "../../services/web-sessions.js";
import { Layout, Notice, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";
import { methodLabel, outcomeWord, utc } from "./words.js";

const idParams = z.object({ id: z.uuid() });

const ANCHOR_WORDS: Record<string, string> = {
  matches: "the chain matches it",
  differs: "the chain's event there has a DIFFERENT hash",
  missing: "that event is MISSING from the chain",
  unchecked: "the chain broke before reaching it",
};

const yesNo = (value: boolean | null, open: string) => (value === null ? open : value ? "yes" : "no");

/** The verification's facts and how it ended. */
function Summary(props: { v: VerificationView }) {
  const { v } = props;
  const { word, kind } = outcomeWord(v);
  return (
    <section class="card" aria-labelledby="summary-h">
      <h2 id="summary-h">Result</h2>
      <div class={`outcome ${kind}`}>
        <p class="big">{word}</p>
        <p>{v.state === "verified" ? `${v.subject.displayName} proved who they are by ${methodLabel(v.method)}.` : (v.stateReason ?? "").replace(/_/g, " ")}</p>
      </div>
      <dl class="facts">
        <dt>Started</dt>
        <dd>{`${utc(v.createdAt)} by ${v.technician}`}</dd>
        <dt>Ended</dt>
        <dd>{utc(v.completedAt)}</dd>
        <dt>Caller</dt>
        <dd>{`${v.subject.displayName} (${v.subject.id}) · ${v.tenant.name}`}</dd>
        <dt>Method</dt>
        <dd>{`${methodLabel(v.method)}${v.destination === null ? "" : ` to ${v.destination}`}`}</dd>
        <dt>Ticket</dt>
        <dd>{v.ticket ?? "—"}</dd>
        <dt>Reason</dt>
        <dd>{v.reason ?? "—"}</dd>
        <dt>Policy</dt>
        <dd>
          {`${v.risk.decision.replace("_", " ")}; satisfied: ${yesNo(v.policySatisfied, "not yet (still open)")}`}
          {v.risk.signals.length === 0 ? null : <span class="hint">{` Flags: ${v.risk.signals.map((s) => s.detail).join(" ")}`}</span>}
        </dd>
        <dt>Checks and sends</dt>
        <dd>{`${v.checks.used} of ${v.checks.max} checks used · ${v.sends} sent`}</dd>
        <dt>Receipt</dt>
        <dd>
          {v.receipt === null ? (
            v.final ? "no ending was recorded in the audit log" : "none yet (still open)"
          ) : (
            <>
              Audit event #{v.receipt.seq} ({v.receipt.action}) <span class="hash">{v.receipt.hash}</span>
            </>
          )}
        </dd>
      </dl>
    </section>
  );
}

/** Whether the audit chain verifies, against which anchor, when that was checked, and what it covers here. */
function ChainVerdict(props: { status: ChainStatusNow; events: readonly ChainedAuditEvent[] }) {
  const { verdict, checking, failure } = props.status;
  const lastSeq = props.events.at(-1)?.seq ?? 0;
  if (verdict === null) {
    return failure === null ? (
      <Notice kind="info">The audit chain is being checked now (a long chain takes a while). Reload the page in a moment for the verdict.</Notice>
    ) : (
      <Notice kind="error">{`The audit chain could not be checked: ${failure}`}</Notice>
    );
  }
  const r = verdict.report;
  const forged = r.anchorLines.filter((l) => l.problem === "forged");
  const after = props.events.filter((e) => e.seq > r.head.seq);
  const anchored = r.anchor !== null && r.anchor.verdict === "matches" ? props.events.filter((e) => e.seq <= (r.anchor?.seq ?? 0)) : [];
  return (
    <>
      {r.ok ? (
        <Notice kind="ok">{`The audit chain verifies: all ${r.count} events, up to #${r.head.seq}, checked ${utc(verdict.checkedAt)}.`}</Notice>
      ) : (
        <Notice kind="error">
          {`The audit chain does NOT verify (checked ${utc(verdict.checkedAt)}): `}
          {r.problem === null ? "an anchor file holds forged lines." : `event #${r.problem.seq}: ${r.problem.problem}.`}
        </Notice>
      )}
      <ul class="plain">
        <li>
          {r.anchor === null
            ? r.anchorFiles.length === 0
              ? "No anchor file is configured, so only the chain's own links were checked: someone able to rewrite the whole database could rewrite the chain unnoticed."
              : "No anchor has been exported yet, so only the chain's own links were checked."
            : `Against the anchor for event #${r.anchor.seq}${r.anchor.at === null ? "" : `, exported ${utc(r.anchor.at)}`} (${r.anchorsChecked} anchor${r.anchorsChecked === 1 ? "" : "s"} compared): ${ANCHOR_WORDS[r.anchor.verdict] ?? r.anchor.verdict}.`}
        </li>
        {forged.length === 0 ? null : <li>{`${forged.length} line${forged.length === 1 ? "" : "s"} in the anchor files did not verify: someone wrote where the anchors are kept.`}</li>}
        {anchored.length === 0 ? null : <li>{`This verification's events up to #${anchored.at(-1)?.seq ?? 0} are fixed by that anchor, kept outside the database.`}</li>}
        {after.length === 0 ? (
          props.events.length === 0 ? null : <li>{`Every event of this verification (up to #${lastSeq}) was covered by the check.`}</li>
        ) : (
          <li>{`Events from #${after[0]?.seq ?? 0} came after this check; the next one covers them.`}</li>
        )}
        {checking ? <li class="hint">A newer check is running now.</li> : null}
      </ul>
    </>
  );
}

/** Every audit event of the verification, in chain order. */
function Events(props: { events: readonly ChainedAuditEvent[] }) {
  return (
    <table>
      <caption class="hint">In chain order; times in UTC. Each hash covers the event and the one before it.</caption>
      <thead>
        <tr>
          <th scope="col">Seq</th>
          <th scope="col">Time</th>
          <th scope="col">Action</th>
          <th scope="col">Actor</th>
          <th scope="col">Outcome</th>
          <th scope="col" class="optional">Reason</th>
          <th scope="col" class="optional">Hash</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((e) => {
          const by = typeof e.data?.by === "string" ? e.data.by : null;
          return (
            <tr>
              <td>{e.seq}</td>
              <td>{utc(e.at)}</td>
              <td>{e.action}</td>
              <td>
                {by ?? e.actor}
                {by === null ? null : <span class="hint">{` (${e.actor})`}</span>}
              </td>
              <td>{e.outcome ?? "—"}</td>
              <td class="optional">{e.reason ?? "—"}</td>
              <td class="optional">
                <span class="hash">{e.hash}</span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function DetailPage(props: { session: WebSession; v: VerificationView; events: readonly ChainedAuditEvent[]; status: ChainStatusNow; demo: boolean }) {
  const { v } = props;
  return (
    <Layout title={`Verification of ${v.subject.displayName}`} session={props.session} active="history" demo={props.demo}>
      <p>
        <a href="/history">Back to history</a>
      </p>
      <h1>
        {`Verification of ${v.subject.displayName}`} <span class="sub">· {v.tenant.name}</span>
      </h1>
      <Summary v={v} />
      <section class="card" aria-labelledby="chain-h">
        <h2 id="chain-h">Is the record intact?</h2>
        <ChainVerdict status={props.status} events={props.events} />
      </section>
      <section class="card" aria-labelledby="events-h">
        <h2 id="events-h">{`Audit events (${props.events.length})`}</h2>
        <Events events={props.events} />
      </section>
    </Layout>
  );
}

/**
 * `/history/:id`: a verification as evidence: how it ended, its receipt, every audit event about
 * it, and whether the audit chain verifies (a recent background check, never a full walk while
 * the page waits).
 */
export function historyDetailRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; chain: ChainStatus; demo: boolean }): void {
  const guard = requireSession(...VERIFYING_ROLES, "auditor");
  app.get("/history/:id", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const parsed = idParams.safeParse(request.params);
    if (!parsed.success) throw new VerityError("VERIFICATION_NOT_FOUND");
    const { verification, events } = await deps.engine.evidence(session.actor, parsed.data.id);
    const status = await deps.chain.current(events.at(-1)?.seq);
    return sendPage(reply, <DetailPage session={session} v={verification} events={events} status={status} demo={deps.demo} />);
  });
}
