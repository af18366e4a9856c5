import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isVerityError } from "../../domain/errors.js";
import type { WebSessionService } from "../../services/web-sessions.js";
import type { WebUserService } from "../../services/web-users.js";
import type { WebUser } from "../../store/user-dal.js";
import { Layout, Notice, sendPage } from "./layout.js";
import { ABSOLUTE_MS } from "../../services/web-sessions.js";
import { clearSessionCookie, cookieValue, isLoopback, pageOrigin, SESSION_COOKIE, setSessionCookie } from "./web-auth.js";

/** A single-sign-on provider as the sign-in page offers it. */
export interface SsoButton {
  readonly name: string;
  readonly label: string;
}

export interface SigninDeps {
  readonly users: WebUserService;
  readonly sessions: WebSessionService;
  readonly publicUrl: string | undefined;
  /** The demo offers one-click sign-in as its demo people, on this machine only. */
  readonly demo: boolean;
  readonly sso: readonly SsoButton[];
}

const localForm = z.object({
  username: z.string().max(64),
  password: z.string().max(200),
  totp: z.string().max(20),
  next: z.string().max(2000).optional(),
});

/** Where to go after signing in: a path on this site only (never another origin). */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith("/signin") ? next : "/verify";
}

const DEMO_PEOPLE: Record<string, { displayName: string; role: "technician" | "admin" }> = {
  technician: { displayName: "Demo Technician", role: "technician" },
  admin: { displayName: "Demo Administrator", role: "admin" },
};

function SigninPage(props: { deps: SigninDeps; next: string; error?: string; available: boolean; demo: boolean }) {
  const { deps, next } = props;
  return (
    <Layout title="Sign in" session={null} demo={deps.demo}>
      <div class="signin">
        <h1>Sign in to Verity</h1>
        {props.error === undefined ? null : <Notice kind="error">{props.error}</Notice>}
        {!props.available ? (
          <Notice kind="error">Signing in needs HTTPS. Set server.publicUrl to the https:// address people use, behind your TLS proxy.</Notice>
        ) : (
          <>
            {props.demo ? (
              <section class="card" aria-labelledby="demo-h">
                <h2 id="demo-h">Demo</h2>
                <p class="hint">Nothing here reaches a real person. Sign in with one click:</p>
                <form method="post" action="/signin/demo" class="actions">
                  <input type="hidden" name="next" value={next} />
                  <button type="submit" name="as" value="technician">
                    Continue as Demo Technician
                  </button>
                  <button type="submit" name="as" value="admin" class="secondary">
                    Continue as Demo Administrator
                  </button>
                </form>
              </section>
            ) : null}
            {deps.sso.length === 0 ? null : (
              <section class="card sso" aria-labelledby="sso-h">
                <h2 id="sso-h">Your organisation's account</h2>
                {deps.sso.map((p) => (
                  <a class="button" href={`/signin/sso/${encodeURIComponent(p.name)}?next=${encodeURIComponent(next)}`}>
                    Sign in with {p.label}
                  </a>
                ))}
              </section>
            )}
            <section class="card" aria-labelledby="local-h">
              <h2 id="local-h">Verity account</h2>
              <form method="post" action="/signin">
                <input type="hidden" name="next" value={next} />
                <label for="username">Username</label>
                <input type="text" id="username" name="username" autocomplete="username" required autofocus={!props.demo} />
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required />
                <label for="totp">Code from your authenticator app</label>
                <input type="text" id="totp" name="totp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}" required />
                <div class="actions">
                  <button type="submit">Sign in</button>
                </div>
              </form>
            </section>
          </>
        )}
      </div>
    </Layout>
  );
}

const demoHere = (request: FastifyRequest, deps: SigninDeps) => deps.demo && isLoopback(request);
const available = (request: FastifyRequest, deps: Pick<SigninDeps, "publicUrl">) => pageOrigin(request, deps.publicUrl) !== null;

/** The sign-in page, with a message when something was refused. */
export function showSignin(request: FastifyRequest, reply: FastifyReply, deps: SigninDeps, next: string, error?: string, status = 200): FastifyReply {
  return sendPage(reply, <SigninPage deps={deps} next={next} available={available(request, deps)} demo={demoHere(request, deps)} {...(error === undefined ? {} : { error })} />, status);
}

/** Starts a session for a user who just signed in (any way) and sends them on to `next`. */
export async function signIn(request: FastifyRequest, reply: FastifyReply, deps: Pick<SigninDeps, "sessions">, user: WebUser, how: string, next: string): Promise<FastifyReply> {
  // A fresh session id at every sign-in: a cookie planted before it is worth nothing after.
  const old = cookieValue(request, SESSION_COOKIE);
  if (old !== undefined) await deps.sessions.end(old, "replaced by a new sign-in");
  const { cookie } = await deps.sessions.start(user, how);
  setSessionCookie(reply, cookie, Math.floor(ABSOLUTE_MS / 1000));
  // Auditors cannot verify: they start at History.
  const target = safeNext(next);
  return reply.redirect(user.role === "auditor" && target === "/verify" ? "/history" : target, 303);
}

/**
 * `/signin` (local accounts: password and TOTP; SSO buttons; the demo's one-click people),
 * `/signout`, and `/`. Sign-in posts must come from Verity's own page (Origin), so another site
 * cannot sign a browser in to an account of its choosing.
 */
export function signinRoutes(app: FastifyInstance, deps: SigninDeps): void {
  const sameOrigin = (request: FastifyRequest) => {
    const expected = pageOrigin(request, deps.publicUrl);
    return expected !== null && request.headers.origin === expected;
  };
  const show = (request: FastifyRequest, reply: FastifyReply, next: string, error?: string, status = 200) => showSignin(request, reply, deps, next, error, status);

  app.get("/", async (request, reply) => reply.redirect(request.webSession === null ? "/signin" : request.webSession.user.role === "auditor" ? "/history" : "/verify", 303));

  app.get("/signin", async (request, reply) => {
    const next = safeNext((request.query as { next?: string }).next);
    if (request.webSession !== null) return reply.redirect(next, 303);
    return show(request, reply, next);
  });

  app.post("/signin", async (request, reply) => {
    const form = localForm.safeParse(request.body);
    const next = safeNext(form.success ? form.data.next : undefined);
    if (!available(request, deps) || !sameOrigin(request)) return show(request, reply, next, "Sign in from Verity's own sign-in page.", 403);
    if (!form.success) return show(request, reply, next, "Fill in your username, password and code.", 400);
    try {
      const user = await deps.users.signInLocal(form.data);
      return await signIn(request, reply, deps, user, "local", next);
    } catch (error) {
      if (!isVerityError(error)) throw error;
      if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
      return show(request, reply, next, error.message, error.status);
    }
  });

  app.post("/signin/demo", async (request, reply) => {
    const body = (request.body ?? {}) as { as?: unknown; next?: unknown };
    const person = typeof body.as === "string" ? DEMO_PEOPLE[body.as] : undefined;
    const next = safeNext(typeof body.next === "string" ? body.next : undefined);
    if (!demoHere(request, deps) || !sameOrigin(request) || person === undefined) return show(request, reply, next, "The demo's one-click sign-in works only in the demo, on this machine.", 403);
    const user = await deps.users.upsertSso({ provider: "demo", subject: typeof body.as === "string" ? body.as : "technician", displayName: person.displayName, email: null, role: person.role, tenants: null });
    return signIn(request, reply, deps, user, "demo", next);
  });

  app.post("/signout", async (request, reply) => {
    const cookie = cookieValue(request, SESSION_COOKIE);
    if (cookie !== undefined) await deps.sessions.end(cookie, "signed out");
    clearSessionCookie(reply);
    return reply.redirect("/signin", 303);
  });
}
