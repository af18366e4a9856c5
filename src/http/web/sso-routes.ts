import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isVerityError } from "../../domain/errors.js";
import type { SsoSignin } from "../../services/sso-signin.js";
import { FLOW_TTL_MS } from "../../services/sso-signin.js";
import { safeNext, showSignin, signIn, type SigninDeps } from "./signin-page.js";
import { cookieValue, pageOrigin } from "./web-auth.js";

/**
 * The sign-in flow's id, nothing else. `__Host-`, Secure and HttpOnly as the session cookie;
 * SameSite=Lax still reaches the callback, a top-level GET navigation from the provider. It binds
 * the callback to the browser that pressed the button: a code and state replayed into another
 * browser (a login CSRF) find no flow there.
 */
export const SSO_COOKIE = "__Host-verity_sso";

export interface SsoRouteDeps extends SigninDeps {
  readonly ssoSignin: SsoSignin;
}

const setFlowCookie = (reply: FastifyReply, value: string, maxAgeSeconds: number) =>
  reply.header("set-cookie", `${SSO_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`);

/** `<origin>/signin/sso/<name>/callback`: register exactly this as the app's redirect URI. */
export const ssoRedirectUri = (origin: string, name: string) => `${origin}/signin/sso/${encodeURIComponent(name)}/callback`;

const HTTPS_NEEDED = "Signing in needs HTTPS. Set server.publicUrl to the https:// address people use, behind your TLS proxy.";

/**
 * `GET /signin/sso/:name?next=` sends the browser to the provider; `GET /signin/sso/:name/callback`
 * is where it comes back (response_mode=query, so the Lax cookie comes too). Every refusal shows
 * the sign-in page with what went wrong; the details are in the audit log, never on the page.
 */
export function ssoRoutes(app: FastifyInstance, deps: SsoRouteDeps): void {
  const refused = (request: FastifyRequest, reply: FastifyReply, next: string, error: unknown) => {
    if (!isVerityError(error)) throw error;
    // The person sees a short message; whoever runs Verity needs the reason (never a secret: see ssoFailure).
    if (error.code === "SSO_UNAVAILABLE") request.log.warn({ provider: (request.params as { name?: string }).name, code: error.code, details: error.details }, "single sign-on is not working");
    if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
    return showSignin(request, reply, deps, next, error.message, error.status);
  };

  // No HEAD twins: a HEAD must not start a flow, nor spend one.
  app.get<{ Params: { name: string }; Querystring: { next?: unknown } }>("/signin/sso/:name", { exposeHeadRoute: false }, async (request, reply) => {
    const next = safeNext(typeof request.query.next === "string" && request.query.next.length <= 2000 ? request.query.next : undefined);
    const origin = pageOrigin(request, deps.publicUrl);
    if (origin === null) return showSignin(request, reply, deps, next, HTTPS_NEEDED, 403);
    try {
      const { flowId, url } = await deps.ssoSignin.begin(request.params.name, ssoRedirectUri(origin, request.params.name), next);
      setFlowCookie(reply, flowId, FLOW_TTL_MS / 1000);
      return await reply.header("cache-control", "no-store").redirect(url, 303);
    } catch (error) {
      return refused(request, reply, next, error);
    }
  });

  app.get<{ Params: { name: string } }>("/signin/sso/:name/callback", { exposeHeadRoute: false }, async (request, reply) => {
    setFlowCookie(reply, "", 0);
    reply.header("cache-control", "no-store");
    const origin = pageOrigin(request, deps.publicUrl);
    if (origin === null) return showSignin(request, reply, deps, "/verify", HTTPS_NEEDED, 403);
    const callbackUrl = new URL(ssoRedirectUri(origin, request.params.name));
    const query = request.url.indexOf("?");
    if (query >= 0) callbackUrl.search = request.url.slice(query);
    try {
      const { user, next } = await deps.ssoSignin.complete({ name: request.params.name, flowId: cookieValue(request, SSO_COOKIE), callbackUrl, address: request.ip });
      return await signIn(request, reply, deps, user, `sso:${request.params.name}`, next);
    } catch (error) {
      return refused(request, reply, "/verify", error);
    }
  });
}
