import type { FastifyReply, FastifyRequest } from "fastify";
import { VerityError } from "../../domain/errors.js";
import type { Role } from "../../domain/roles.js";
import type { WebSession, WebSessionService } from "../../services/web-sessions.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The browser session the request's cookie stands for, if any (set by the rate limit's hook). */
    webSession: WebSession | null;
  }
}

/**
 * `__Host-`: the browser sends it only to this exact origin, over HTTPS (loopback HTTP counts as
 * secure in browsers), for every path; HttpOnly and SameSite=Lax keep it from scripts and from
 * cross-site requests that change anything.
 */
export const SESSION_COOKIE = "__Host-verity_session";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;
const LOOPBACK_PEER = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** One cookie's value from the Cookie header; repeated or absent gives undefined. */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  const values = header
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

/** Whether this request reached Verity on this machine itself (the demo, a technician's own laptop). */
export function isLoopback(request: FastifyRequest): boolean {
  return LOOPBACK_PEER.has(request.socket.remoteAddress ?? "") && LOOPBACK_HOST.test(request.headers.host ?? "");
}

/**
 * The origin pages are served from: the configured public URL, or (on loopback only) the Host
 * the browser used. Null where signing in is not allowed: plain HTTP to anything but loopback.
 */
export function pageOrigin(request: FastifyRequest, publicUrl: string | undefined): string | null {
  if (publicUrl !== undefined) {
    const origin = new URL(publicUrl).origin;
    return origin.startsWith("https://") || isLoopback(request) ? origin : null;
  }
  return isLoopback(request) ? `http://${request.headers.host ?? ""}` : null;
}

export function setSessionCookie(reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  reply.header("set-cookie", `${SESSION_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`);
}

/** Routes a browser session authenticates: the API (but for page links, which carry their own capability) and the app's pages. */
const SESSION_ROUTES = /^\/(api\/v1\/(?!link\/)|signout|verify|history|admin)/;

export const actsWithSession = (url: string): boolean => SESSION_ROUTES.test(url);

/** The session a request's cookie stands for (nothing for a request without one). */
export async function sessionOf(request: FastifyRequest, sessions: Pick<WebSessionService, "resolve">): Promise<WebSession | null> {
  const cookie = cookieValue(request, SESSION_COOKIE);
  return cookie === undefined ? null : sessions.resolve(cookie);
}

/**
 * Refuses a state-changing request carried by a session cookie unless it comes from a Verity
 * page: the Origin header must be the pages' own origin, and the session's CSRF token must come
 * back (a form field `csrf` or the `X-CSRF-Token` header). GET never changes state.
 */
export function assertFromOurPages(
  request: FastifyRequest,
  session: WebSession,
  deps: { sessions: Pick<WebSessionService, "checkCsrf">; publicUrl: string | undefined },
): void {
  if (SAFE_METHODS.has(request.method)) return;
  const expected = pageOrigin(request, deps.publicUrl);
  const origin = request.headers.origin;
  if (expected === null || origin !== expected) {
    throw new VerityError("CSRF_REJECTED", { message: "The request came from another site (its Origin is not Verity's); nothing was done." });
  }
  const header = request.headers["x-csrf-token"];
  const field = (request.body as Record<string, unknown> | null | undefined)?.csrf;
  const presented = typeof header === "string" ? header : typeof field === "string" ? field : undefined;
  if (!deps.sessions.checkCsrf(session, presented)) throw new VerityError("CSRF_REJECTED");
}

/** A page's guard: a session with one of `roles`, else the sign-in page (or 403 for a wrong role). */
export function requireSession(...roles: Role[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const session = request.webSession;
    if (session === null) {
      const next = encodeURIComponent(request.url);
      await reply.redirect(`/signin?next=${next}`, 303);
      return;
    }
    if (roles.length > 0 && !roles.includes(session.user.role)) {
      throw new VerityError("FORBIDDEN", { message: `This page needs the ${roles.join(" or ")} role.` });
    }
  };
}
