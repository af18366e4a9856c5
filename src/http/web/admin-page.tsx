import type { FastifyInstance } from "fastify";
import type { WebSession } from "../../services/web-sessions.js";
import { Layout, sendPage } from "./layout.js";
import { requireSession } from "./web-auth.js";

/** The administration pages, one line each; a page added later adds its line here. */
const SECTIONS: readonly { readonly href: string; readonly title: string; readonly about: string }[] = [
  { href: "/admin/users", title: "People", about: "Verity accounts (password and authenticator app) and single-sign-on users: create, disable, enable." },
  { href: "/admin/tokens", title: "API tokens", about: "Create tokens for integrations and scripts (each shown once), see when they were last used, revoke them." },
  { href: "/admin/integrations", title: "Integrations", about: "Each client's directory, the providers of its methods, its ticketing system, and the audit anchors: test each connection." },
];

/** `/admin`: where administrators start. Admins only. */
export function adminRoutes(app: FastifyInstance, deps: { readonly demo: boolean }): void {
  app.get("/admin", { preHandler: requireSession("admin") }, async (request, reply) => {
    const session = request.webSession as WebSession;
    return sendPage(
      reply,
      <Layout title="Administration" session={session} active="admin" demo={deps.demo}>
        <h1>Administration</h1>
        <ul class="plain">
          {SECTIONS.map((s) => (
            <li class="card">
              <h2>
                <a href={s.href}>{s.title}</a>
              </h2>
              <p class="hint">{s.about}</p>
            </li>
          ))}
        </ul>
      </Layout>,
    );
  });
}
