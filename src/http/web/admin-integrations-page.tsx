import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isVerityError } from "../../domain/errors.js";
import type { ConnectionTests, Integration } from "../../services/connection-tests.js";
import type { WebSession } from "../../services/web-sessions.js";
import { Csrf, Layout, Notice, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";
import { methodLabel, utc } from "./words.js";

export interface AdminIntegrationsDeps {
  readonly connections: ConnectionTests;
  readonly demo: boolean;
}

const testForm = z.object({ id: z.string().min(1).max(300) });
const testedQuery = z.object({ tested: z.string().min(1).max(300) });

type PageNotice = { readonly kind: "error" | "ok" | "info"; readonly text: string };

/** One integration's row: what it serves, what it is, its last test, and the button. */
function Row(props: { role: string; integration: Integration; connections: ConnectionTests; session: WebSession }) {
  const { integration: i } = props;
  const last = props.connections.last(i.id);
  return (
    <tr>
      <th scope="row">{props.role}</th>
      <td>
        {i.name} <span class="hint">· {i.product}</span>
      </td>
      <td>
        {last === undefined ? (
          <span class="hint">Not tested yet</span>
        ) : (
          <>
            <span class={`flag ${last.ok ? "ok" : "block"}`}>{last.ok ? "OK" : "PROBLEM"}</span> {last.detail}
            <span class="hint"> ({utc(last.at)}, {last.by})</span>
          </>
        )}
      </td>
      <td>
        {i.testable ? (
          <form method="post" action="/admin/integrations/test">
            <Csrf session={props.session} />
            <input type="hidden" name="id" value={i.id} />
            <button type="submit" class="secondary" aria-label={`Test connection: ${props.role}, ${i.name}`}>
              Test connection
            </button>
          </form>
        ) : (
          <span class="hint">No test for this kind</span>
        )}
      </td>
    </tr>
  );
}

function Head() {
  return (
    <thead>
      <tr>
        <th scope="col">Serves</th>
        <th scope="col">Integration</th>
        <th scope="col">Last test</th>
        <th scope="col">
          <span class="skip">Action</span>
        </th>
      </tr>
    </thead>
  );
}

function IntegrationsPage(props: { session: WebSession; connections: ConnectionTests; demo: boolean; notice?: PageNotice }) {
  const { session, connections } = props;
  const { tenants, anchors, notifications } = connections.list(session.actor);
  return (
    <Layout title="Integrations" session={session} active="admin" demo={props.demo}>
      <h1>Integrations</h1>
      {props.notice === undefined ? null : <Notice kind={props.notice.kind}>{props.notice.text}</Notice>}
      <p class="hint">
        A test makes one harmless call (a token fetch, a read; a notification destination gets one test message): it never sends a code or a push. Each integration can be
        tested once every 10 seconds.
      </p>
      {tenants.map((t) => (
        <section class="card" aria-labelledby={`tenant-${t.tenant.id}`}>
          <h2 id={`tenant-${t.tenant.id}`}>
            {t.tenant.name} <span class="hint">({t.tenant.id})</span>
          </h2>
          <table>
            <Head />
            <tbody>
              <Row role="Directory" integration={t.directory} connections={connections} session={session} />
              {t.methods.map((m) => (
                <Row role={methodLabel(m.method)} integration={m.integration} connections={connections} session={session} />
              ))}
              {t.ticketing.map((integration) => (
                <Row key={integration.id} role="Ticketing" integration={integration} connections={connections} session={session} />
              ))}
              {t.notifications.map((integration) => (
                <Row key={integration.id} role="Notifications" integration={integration} connections={connections} session={session} />
              ))}
            </tbody>
          </table>
        </section>
      ))}
      {notifications.length === 0 ? null : (
        <section class="card" aria-labelledby="notifications-h">
          <h2 id="notifications-h">Notifications for every tenant</h2>
          <p class="hint">Testing a destination sends it one message that says it is a test (type verity.test).</p>
          <table>
            <Head />
            <tbody>
              {notifications.map((n) => (
                <Row key={n.id} role="Notifications" integration={n} connections={connections} session={session} />
              ))}
            </tbody>
          </table>
        </section>
      )}
      {anchors.length === 0 ? null : (
        <section class="card" aria-labelledby="anchors-h">
          <h2 id="anchors-h">Audit anchors</h2>
          <p class="hint">Testing a sink sends it the current audit head again, which it takes harmlessly.</p>
          <table>
            <Head />
            <tbody>
              {anchors.map((a) => (
                <Row role="Audit anchor" integration={a} connections={connections} session={session} />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </Layout>
  );
}

/**
 * `/admin/integrations`: every configured integration per tenant (its directory, each method's
 * provider, its ticketing system) and the audit anchor sinks, each with a "Test connection" button
 * that makes one harmless call and shows what it found. Admins only.
 */
export function adminIntegrationsRoutes(app: FastifyInstance, deps: AdminIntegrationsDeps): void {
  const guard = requireSession("admin");
  const render = (request: FastifyRequest, reply: FastifyReply, notice?: PageNotice, status = 200) =>
    sendPage(reply, <IntegrationsPage session={request.webSession as WebSession} connections={deps.connections} demo={deps.demo} {...(notice === undefined ? {} : { notice })} />, status);

  app.get("/admin/integrations", { preHandler: guard }, async (request, reply) => {
    const query = testedQuery.safeParse(request.query);
    const tested = query.success ? visible(deps.connections, request.webSession as WebSession).get(query.data.tested) : undefined;
    const last = tested === undefined ? undefined : deps.connections.last(tested.id);
    if (tested === undefined || last === undefined) return render(request, reply);
    return render(request, reply, { kind: last.ok ? "ok" : "error", text: `${tested.name}: ${last.ok ? "OK" : "PROBLEM"}. ${last.detail}` });
  });

  app.post("/admin/integrations/test", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const form = testForm.safeParse(request.body);
    if (!form.success) return render(request, reply, { kind: "error", text: "Choose an integration to test." }, 422);
    try {
      await deps.connections.run(form.data.id, session.actor);
      return await reply.redirect(`/admin/integrations?tested=${encodeURIComponent(form.data.id)}`, 303);
    } catch (error) {
      if (!isVerityError(error)) throw error;
      if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
      return render(request, reply, { kind: "error", text: `${error.message} (${error.code})` }, error.status);
    }
  });
}

/** The integrations this session may see, by id. */
function visible(connections: ConnectionTests, session: WebSession): ReadonlyMap<string, Integration> {
  const { tenants, anchors, notifications } = connections.list(session.actor);
  const all = [...tenants.flatMap((t) => [t.directory, ...t.methods.map((m) => m.integration), ...t.ticketing, ...t.notifications]), ...anchors, ...notifications];
  return new Map(all.map((i) => [i.id, i]));
}
