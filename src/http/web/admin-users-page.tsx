import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TenantCheckboxes, tickedTenants } from "./tenant-choices.js";
import { renderSVG } from "uqr";
import { z } from "zod";
import { isVerityError, VerityError } from "../../domain/errors.js";
import { ROLES } from "../../domain/roles.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { WebSession } from "../../services/web-sessions.js";
import { mayManage, type TotpEnrolment, type WebUserService } from "../../services/web-users.js";
import type { WebUser } from "../../store/user-dal.js";
import { validationError } from "../error-handler.js";
import { Csrf, Layout, Notice, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";

export interface AdminUsersDeps {
  readonly users: WebUserService;
  readonly tenants: Pick<TenantRegistry, "all" | "get">;
  readonly demo: boolean;
}


const createForm = z.object({
  username: z.string().trim().toLowerCase().min(1, "Give a username.").max(64, "A username has at most 64 characters."),
  displayName: z.string().trim().min(1, "Give the person's name.").max(100, "A name has at most 100 characters."),
  role: z.enum(ROLES, "Choose a role."),
  scope: z.enum(["all", "some"], "Choose every tenant or some."),
  password: z.string().min(1, "Give an initial password.").max(200, "A password may have at most 200 characters."),
});

const idParams = z.object({ id: z.uuid() });
const doneQuery = z.object({ disabled: z.uuid().optional(), enabled: z.uuid().optional() });

/** What the create form shows again after a refusal (never the password). */
interface Draft {
  readonly username: string;
  readonly displayName: string;
  readonly role: string;
  readonly scope: "all" | "some";
  readonly tenants: readonly string[];
}

const EMPTY_DRAFT: Draft = { username: "", displayName: "", role: "technician", scope: "all", tenants: [] };

interface View {
  readonly session: WebSession;
  readonly users: readonly WebUser[];
  readonly tenantChoices: readonly { id: string; name: string }[];
  readonly tenantName: (id: string) => string;
  readonly draft: Draft;
  readonly error?: VerityError | undefined;
  readonly notice?: string | undefined;
  readonly enrolment?: { user: WebUser; totp: TotpEnrolment } | undefined;
  readonly demo: boolean;
}

const when = (iso: string | null) => (iso === null ? "never" : `${iso.slice(0, 16).replace("T", " ")} UTC`);
const groups = (secret: string) => secret.replace(/(.{4})(?=.)/g, "$1 ");

function Enrolment(props: { user: WebUser; totp: TotpEnrolment }) {
  const svg = renderSVG(props.totp.uri, { border: 2, pixelSize: 4 });
  return (
    <section class="card" aria-labelledby="enrol-h" id="enrolment">
      <h2 id="enrol-h">Authenticator for {props.user.displayName}</h2>
      <p class="notice info">
        <strong>Shown only now.</strong> Give it to {props.user.displayName} in person, or have them scan it here; Verity cannot show it again.
      </p>
      <p class="qr">
        <img src={`data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`} alt={`QR code to add Verity (${props.user.username ?? ""}) to an authenticator app`} />
      </p>
      <dl class="facts">
        <dt>Username</dt>
        <dd>{props.user.username}</dd>
        <dt>Secret (to type in instead)</dt>
        <dd class="hash" id="totp-secret">{groups(props.totp.secret)}</dd>
      </dl>
    </section>
  );
}

function UsersTable(props: { view: View }) {
  const { view } = props;
  return (
    <table>
      <caption class="hint">People who can sign in to Verity</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Account</th>
          <th scope="col">Role</th>
          <th scope="col">Tenants</th>
          <th scope="col">Last sign-in</th>
          <th scope="col">State</th>
          <th scope="col"><span class="hint">Change</span></th>
        </tr>
      </thead>
      <tbody>
        {view.users.map((u) => {
          const self = view.session.user.id === u.id;
          return (
            <tr id={`user-${u.id}`}>
              <th scope="row">{u.displayName}</th>
              <td>{u.kind === "local" ? u.username : `SSO: ${u.provider ?? "?"}`}</td>
              <td>{u.role}</td>
              <td>{u.tenants === null ? "all" : u.tenants.map(view.tenantName).join(", ")}</td>
              <td>{when(u.lastSigninAt)}</td>
              <td>{u.disabledAt === null ? "active" : "disabled"}</td>
              <td>
                {self ? (
                  <span class="hint">you</span>
                ) : (
                  <form method="post" action={`/admin/users/${u.id}/${u.disabledAt === null ? "disable" : "enable"}`}>
                    <Csrf session={view.session} />
                    <button type="submit" class={u.disabledAt === null ? "danger" : "secondary"} aria-label={`${u.disabledAt === null ? "Disable" : "Enable"} ${u.displayName}`}>
                      {u.disabledAt === null ? "Disable" : "Enable"}
                    </button>
                  </form>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function CreateForm(props: { view: View }) {
  const { session, draft, tenantChoices } = props.view;
  return (
    <section class="card" aria-labelledby="create-h">
      <h2 id="create-h">New Verity account</h2>
      <p class="hint">For people who do not sign in with your organisation's SSO. They sign in with the password and a code from an authenticator app.</p>
      <form method="post" action="/admin/users">
        <Csrf session={session} />
        <div class="grid">
          <div>
            <label for="username">Username</label>
            <input type="text" id="username" name="username" value={draft.username} autocomplete="off" required maxLength={64} aria-describedby="username-hint" />
            <p class="hint" id="username-hint">2-64 letters, digits or . _ @ - (stored in lower case)</p>
          </div>
          <div>
            <label for="displayName">Full name</label>
            <input type="text" id="displayName" name="displayName" value={draft.displayName} autocomplete="off" required maxLength={100} />
          </div>
          <div>
            <label for="role">Role</label>
            <select id="role" name="role">
              {ROLES.map((r) => (
                <option value={r} selected={draft.role === r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="password">Initial password</label>
            <input type="password" id="password" name="password" autocomplete="new-password" required minLength={12} maxLength={200} aria-describedby="password-hint" />
            <p class="hint" id="password-hint">At least 12 characters. Tell it to the person over a separate channel.</p>
          </div>
        </div>
        <fieldset class="methods">
          <legend>Tenants</legend>
          <label class="method">
            <input type="radio" name="scope" value="all" checked={draft.scope === "all"} />
            <span>{session.actor.tenants === null ? "Every tenant" : "Every tenant I manage"}</span>
          </label>
          <label class="method">
            <input type="radio" name="scope" value="some" checked={draft.scope === "some"} />
            <span>Only the tenants ticked below</span>
          </label>
          <TenantCheckboxes tenants={tenantChoices} checked={draft.tenants} />
        </fieldset>
        <div class="actions">
          <button type="submit">Create account</button>
        </div>
      </form>
    </section>
  );
}

function UsersPage(props: { view: View }) {
  const { view } = props;
  return (
    <Layout title="Users" session={view.session} active="admin" demo={view.demo}>
      <h1>Users</h1>
      {view.error === undefined ? null : <Notice kind="error">{`${view.error.message} (${view.error.code})`}</Notice>}
      {view.notice === undefined ? null : <Notice kind="ok">{view.notice}</Notice>}
      {view.enrolment === undefined ? null : <Enrolment {...view.enrolment} />}
      <section class="card" aria-labelledby="list-h">
        <h2 id="list-h">Accounts</h2>
        <UsersTable view={view} />
      </section>
      <CreateForm view={view} />
    </Layout>
  );
}

/**
 * `/admin/users` (admins only): every account an admin manages (name, username or SSO
 * provider, role, tenants, last sign-in, state), a form for a new local account that then shows
 * its authenticator QR code and secret once, and disable/enable buttons (disabling ends the
 * person's sessions at once). An admin limited to some tenants sees and grants only those.
 */
export function adminUsersRoutes(app: FastifyInstance, deps: AdminUsersDeps): void {
  const guard = requireSession("admin");
  const tenantName = (id: string) => deps.tenants.get(id)?.name ?? id;

  const render = async (request: FastifyRequest, reply: FastifyReply, extra: Partial<View> = {}, status = 200) => {
    const session = request.webSession as WebSession;
    const mine = session.actor.tenants;
    const view: View = {
      session,
      users: (await deps.users.list()).filter((u) => mayManage(session.actor, u)),
      tenantChoices: deps.tenants.all().filter((t) => mine === null || mine.includes(t.id)).map((t) => ({ id: t.id, name: t.name })),
      tenantName,
      draft: EMPTY_DRAFT,
      demo: deps.demo,
      ...extra,
    };
    return sendPage(reply, <UsersPage view={view} />, status);
  };

  app.get("/admin/users", { preHandler: guard }, async (request, reply) => {
    const query = doneQuery.safeParse(request.query);
    const doneId = query.success ? (query.data.disabled ?? query.data.enabled) : undefined;
    const done = doneId === undefined ? undefined : await deps.users.get(doneId);
    if (done === undefined || !query.success) return render(request, reply);
    const notice = query.data.disabled !== undefined ? `Disabled ${done.displayName}; their sessions have ended.` : `Enabled ${done.displayName}.`;
    return render(request, reply, { notice });
  });

  app.post("/admin/users", { preHandler: guard }, async (request, reply) => {
    const session = request.webSession as WebSession;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const picked = tickedTenants(body);
    const form = createForm.safeParse(body);
    const text = (key: string) => (typeof body[key] === "string" ? body[key] : "");
    const draft: Draft = { username: text("username"), displayName: text("displayName"), role: text("role"), scope: body.scope === "some" ? "some" : "all", tenants: picked };
    try {
      if (!form.success) throw validationError(form.error);
      const unknown = picked.filter((t) => deps.tenants.get(t) === undefined);
      if (unknown.length > 0) throw new VerityError("TENANT_NOT_FOUND", { message: `No tenant has the id ${unknown.join(", ")}.` });
      if (form.data.scope === "some" && picked.length === 0) throw new VerityError("VALIDATION_FAILED", { message: "Tick at least one tenant, or choose every tenant." });
      const { displayName, password, role, username } = form.data;
      const created = await deps.users.createLocal({ username, displayName, role, password, tenants: form.data.scope === "all" ? null : picked }, session.actor);
      return await render(request, reply, { enrolment: created, notice: `Created the ${role} account ${created.user.username ?? ""} for ${created.user.displayName}.` });
    } catch (error) {
      if (!isVerityError(error)) throw error;
      return render(request, reply, { draft, error }, error.status);
    }
  });

  for (const action of ["disable", "enable"] as const) {
    app.post<{ Params: { id: string } }>(`/admin/users/:id/${action}`, { preHandler: guard }, async (request, reply) => {
      const session = request.webSession as WebSession;
      const params = idParams.safeParse(request.params);
      try {
        if (!params.success) throw new VerityError("NOT_FOUND", { message: "No such Verity account." });
        const user = await deps.users.setDisabled(params.data.id, action === "disable", session.actor);
        return await reply.redirect(`/admin/users?${action}d=${user.id}`, 303);
      } catch (error) {
        if (!isVerityError(error)) throw error;
        return render(request, reply, { error }, error.status);
      }
    });
  }
}
