import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TenantCheckboxes, tickedTenants } from "./tenant-choices.js";
import { z } from "zod";
import { isVerityError, VerityError } from "../../domain/errors.js";
import { ROLES, type Role } from "../../domain/roles.js";
import type { Clock } from "../../domain/ports.js";
import type { Actor } from "../../services/actor.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { TokenService } from "../../services/token-service.js";
import type { WebSession } from "../../services/web-sessions.js";
import type { ApiToken } from "../../store/token-dal.js";
import { Csrf, Layout, Notice, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";
import { utc } from "./words.js";

export interface AdminTokensDeps {
  readonly tokens: TokenService;
  readonly tenants: Pick<TenantRegistry, "all" | "get">;
  readonly clock: Clock;
  readonly demo: boolean;
}

const createForm = z.object({ name: z.string().trim().min(1).max(64), role: z.enum(ROLES) });
const revokeForm = z.object({ id: z.uuid() });
const SHOW_ONCE_MS = 10 * 60_000;

const ROLE_WORDS: Record<Role, string> = {
  admin: "admin: everything, and integrations that name the agent",
  technician: "technician: verify callers, see their own history",
  verifier: "verifier: verify callers, see no one's history",
  auditor: "auditor: read verifications and the audit log",
};

/** A token an admin limited to some tenants may see and revoke: one limited to (some of) the same tenants. */
const withinScope = (token: Pick<ApiToken, "tenants">, actor: Actor): boolean =>
  actor.tenants === null || (token.tenants !== null && token.tenants.every((t) => actor.tenants?.includes(t)));

type Filled = { readonly name?: string; readonly role?: string; readonly tenants?: readonly string[] };

function TokensPage(props: {
  session: WebSession;
  tokens: readonly ApiToken[];
  tenants: readonly { id: string; name: string }[];
  demo: boolean;
  notice?: { kind: "error" | "ok" | "info"; text: string };
  filled?: Filled;
}) {
  const { session, filled = {} } = props;
  const limited = session.actor.tenants !== null;
  return (
    <Layout title="API tokens" session={session} active="admin" demo={props.demo}>
      <h1>API tokens</h1>
      {props.notice === undefined ? null : <Notice kind={props.notice.kind}>{props.notice.text}</Notice>}
      <section class="card" aria-labelledby="new-h">
        <h2 id="new-h">Create a token</h2>
        <p class="hint">The token is shown once, on the next page. Verity keeps only its hash, so it can never be shown again.</p>
        <form method="post" action="/admin/tokens">
          <Csrf session={session} />
          <label for="token-name">Name (who or what uses it)</label>
          <input type="text" id="token-name" name="name" required maxLength={64} value={filled.name ?? ""} autocomplete="off" />
          <label for="token-role">Role</label>
          <select id="token-role" name="role">
            {ROLES.map((role) => (
              <option value={role} selected={(filled.role ?? "technician") === role}>
                {ROLE_WORDS[role]}
              </option>
            ))}
          </select>
          <fieldset class="methods">
            <legend>Tenants</legend>
            <p class="hint">{limited ? "None ticked: the tenants you have." : "None ticked: every tenant."}</p>
            <TenantCheckboxes tenants={props.tenants} checked={filled.tenants ?? []} />
          </fieldset>
          <div class="actions">
            <button type="submit">Create token</button>
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby="list-h">
        <h2 id="list-h">Tokens</h2>
        {props.tokens.length === 0 ? (
          <p class="hint">No tokens yet.</p>
        ) : (
          <table id="tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Tenants</th>
                <th scope="col" class="optional">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Revoked</th>
                <th scope="col">
                  <span class="skip">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.tokens.map((t) => (
                <tr data-token={t.id}>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td>{t.tenants === null ? "all" : t.tenants.join(", ")}</td>
                  <td class="optional">{utc(t.createdAt)}</td>
                  <td>{t.lastUsedAt === null ? "never" : utc(t.lastUsedAt)}</td>
                  <td>{t.revokedAt === null ? "no" : utc(t.revokedAt)}</td>
                  <td>
                    {t.revokedAt !== null ? null : (
                      <form method="post" action="/admin/tokens/revoke">
                        <Csrf session={session} />
                        <input type="hidden" name="id" value={t.id} />
                        <button type="submit" class="danger" aria-label={`Revoke ${t.name}`}>
                          Revoke
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}

function NewTokenPage(props: { session: WebSession; created: { token: string; info: ApiToken } | undefined; demo: boolean }) {
  const { created } = props;
  return (
    <Layout title="New API token" session={props.session} active="admin" demo={props.demo}>
      <h1>New API token</h1>
      {created === undefined ? (
        <Notice kind="info">A new token is shown once, right after it is created, and never again. If you did not copy it, revoke it and create another.</Notice>
      ) : (
        <section class="card" aria-labelledby="token-h">
          <Notice kind="ok">Token created. Copy it now: this is the only time it is shown.</Notice>
          <h2 id="token-h">{created.info.name}</h2>
          <label for="new-token">The token ({created.info.role}, {created.info.tenants === null ? "every tenant" : created.info.tenants.join(", ")})</label>
          <input type="text" id="new-token" class="hash" readonly value={created.token} autocomplete="off" spellcheck={false} />
          <p class="hint">Send it as Authorization: Bearer &lt;token&gt;. Keep it in a secret store, never in a ticket or chat.</p>
        </section>
      )}
      <p>
        <a href="/admin/tokens">Back to API tokens</a>
      </p>
    </Layout>
  );
}

/**
 * `/admin/tokens`: list, create (the token shown once on the next page, then only its hash
 * remains) and revoke API tokens. Admins only; the token service's scope rules apply to the
 * signed-in admin, and an admin limited to some tenants sees and revokes only tokens within them.
 */
export function adminTokensRoutes(app: FastifyInstance, deps: AdminTokensDeps): void {
  const guard = requireSession("admin");
  // The new token waits here for the page after the form post, once: never in a URL or a cookie.
  const justCreated = new Map<string, { token: string; info: ApiToken; until: number }>();

  const choices = (actor: Actor) => deps.tenants.all().filter((t) => actor.tenants === null || actor.tenants.includes(t.id)).map((t) => ({ id: t.id, name: t.name }));

  const render = async (request: FastifyRequest, reply: FastifyReply, extra: { notice?: { kind: "error" | "ok" | "info"; text: string }; filled?: Filled }, status = 200) => {
    const session = request.webSession as WebSession;
    const tokens = (await deps.tokens.list()).filter((t) => withinScope(t, session.actor));
    return sendPage(reply, <TokensPage session={session} tokens={tokens} tenants={choices(session.actor)} demo={deps.demo} {...extra} />, status);
  };

  app.get("/admin/tokens", { preHandler: guard }, async (request, reply) => {
    // The notice names a token that really is revoked, never text taken from the link.
    const query = z.object({ revoked: z.uuid() }).safeParse(request.query);
    const revoked = query.success ? (await deps.tokens.list()).find((t) => t.id === query.data.revoked && t.revokedAt !== null) : undefined;
    return render(request, reply, revoked === undefined ? {} : { notice: { kind: "ok", text: `Revoked ${revoked.name}: it no longer works.` } });
  });

  app.post("/admin/tokens", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const tenants = tickedTenants(body);
    const form = createForm.safeParse(body);
    const filled: Filled = { name: typeof body.name === "string" ? body.name.slice(0, 64) : "", role: typeof body.role === "string" ? body.role : "technician", tenants };
    if (!form.success) return render(request, reply, { notice: { kind: "error", text: "Give the token a name (1-64 characters) and a role." }, filled }, 422);
    try {
      const unknown = tenants.filter((t) => deps.tenants.get(t) === undefined);
      if (unknown.length > 0) throw new VerityError("TENANT_NOT_FOUND", { message: `No tenant has the id ${unknown.join(", ")}.` });
      const created = await deps.tokens.create({ name: form.data.name, role: form.data.role, tenants: tenants.length === 0 ? null : tenants }, session.actor);
      const now = deps.clock.now().getTime();
      for (const [key, entry] of justCreated) if (entry.until <= now) justCreated.delete(key);
      justCreated.set(session.csrf, { ...created, until: now + SHOW_ONCE_MS });
      return await reply.redirect("/admin/tokens/new", 303);
    } catch (error) {
      if (!isVerityError(error)) throw error;
      return render(request, reply, { notice: { kind: "error", text: `${error.message} (${error.code})` }, filled }, error.status);
    }
  });

  app.get("/admin/tokens/new", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const entry = justCreated.get(session.csrf);
    justCreated.delete(session.csrf);
    const created = entry !== undefined && entry.until > deps.clock.now().getTime() ? entry : undefined;
    return sendPage(reply, <NewTokenPage session={session} created={created} demo={deps.demo} />);
  });

  app.post("/admin/tokens/revoke", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const form = revokeForm.safeParse(request.body);
    const token = form.success ? (await deps.tokens.list()).find((t) => t.id === form.data.id) : undefined;
    if (token === undefined) return render(request, reply, { notice: { kind: "error", text: "No such token." } }, 404);
    if (!withinScope(token, session.actor)) {
      return render(request, reply, { notice: { kind: "error", text: "That token reaches tenants you do not have, so you may not revoke it. (FORBIDDEN)" } }, 403);
    }
    await deps.tokens.revoke({ id: token.id }, session.actor);
    return reply.redirect(`/admin/tokens?revoked=${token.id}`, 303);
  });
}
