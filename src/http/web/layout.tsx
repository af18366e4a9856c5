import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { FastifyReply } from "fastify";
import type { WebSession } from "../../services/web-sessions.js";

export type NavItem = "verify" | "history" | "admin" | null;

/**
 * Every page's frame: landmarks (header, nav, main), a skip link, the signed-in person and their
 * role, sign-out. Script and style come from /static/web only (the CSP allows nothing inline).
 */
export function Layout(props: {
  title: string;
  session: WebSession | null;
  active?: NavItem;
  scripts?: readonly string[];
  demo?: boolean;
  children: ComponentChildren;
}) {
  const { session, active = null } = props;
  const role = session?.user.role;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Verity`}</title>
        <link rel="stylesheet" href="/static/web/app.css" />
        <link rel="icon" href="/static/web/icon.svg" type="image/svg+xml" />
        {session === null ? null : <meta name="csrf-token" content={session.csrf} />}
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to the content
        </a>
        <header class="top">
          <a class="brand" href="/">
            Verity
          </a>
          {props.demo === true ? <span class="demo-tag">DEMO</span> : null}
          {session === null ? null : (
            <nav aria-label="Main">
              <ul>
                {role === "auditor" ? null : <NavLink href="/verify" label="Verify a caller" current={active === "verify"} />}
                <NavLink href="/history" label="History" current={active === "history"} />
                {role === "admin" ? <NavLink href="/admin" label="Administration" current={active === "admin"} /> : null}
              </ul>
            </nav>
          )}
          {session === null ? null : (
            <div class="who">
              <span>
                {session.user.displayName} <span class="role">({session.user.role})</span>
              </span>
              <form method="post" action="/signout">
                <input type="hidden" name="csrf" value={session.csrf} />
                <button type="submit" class="link">
                  Sign out
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabIndex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

function NavLink(props: { href: string; label: string; current: boolean }) {
  return (
    <li>
      <a href={props.href} aria-current={props.current ? "page" : undefined}>
        {props.label}
      </a>
    </li>
  );
}

/** Sends a page: a doctype and the rendered tree. Values in the tree are escaped by preact. */
export function sendPage(reply: FastifyReply, node: VNode, status = 200): FastifyReply {
  return reply.status(status).type("text/html; charset=utf-8").send(`<!doctype html>${renderToString(node)}`);
}

/** Sends a fragment (a panel a page script swaps in). */
export function sendFragment(reply: FastifyReply, node: VNode): FastifyReply {
  return reply.type("text/html; charset=utf-8").send(renderToString(node));
}

/** A message box; `role=alert` for errors so screen readers announce them. */
export function Notice(props: { kind: "error" | "info" | "ok"; children: ComponentChildren }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** The hidden CSRF field every form that changes something carries. */
export const Csrf = (props: { session: WebSession }) => <input type="hidden" name="csrf" value={props.session.csrf} />;
