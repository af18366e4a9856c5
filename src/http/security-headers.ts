import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const COMMON = {
  "x-content-type-options": "nosniff",
  // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with a page's own
  // form posts, and the Origin check against cross-site requests needs the real one. Other sites
  // still get no referrer.
  "referrer-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
} as const;

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/** Pages load their script and style from this origin only; nothing inline. */
const pageCsp = (frameAncestors: string) =>
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  `form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors ${frameAncestors}`;

/** Web app pages a PSA may frame, when web.frameAncestors names it; every other response refuses frames. */
const FRAMEABLE = /^\/(verify|history|signin)(\/|\?|$)/;

export const SSE_HEADERS = {
  ...COMMON,
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "content-security-policy": API_CSP,
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

export interface SecurityHeaderOptions {
  readonly https: boolean;
  /** Origins allowed to frame the web app's pages (web.frameAncestors); empty: nobody. */
  readonly frameAncestors?: readonly string[];
}

/** Sets the security headers on one reply (also used where Fastify's hooks do not run). */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply, options: SecurityHeaderOptions): void {
  for (const [name, value] of Object.entries(COMMON)) reply.header(name, value);
  const type = String(reply.getHeader("content-type") ?? "");
  const framers = options.frameAncestors ?? [];
  const frameable = type.startsWith("text/html") && framers.length > 0 && FRAMEABLE.test(request.url);
  if (type.startsWith("text/html")) {
    reply.header("content-security-policy", pageCsp(frameable ? `'self' ${framers.join(" ")}` : "'none'"));
  } else {
    reply.header("content-security-policy", API_CSP);
  }
  // X-Frame-Options cannot name origins: it is left out only where the CSP allows a framer.
  if (!frameable) reply.header("x-frame-options", "DENY");
  // A PSA's pop-up still opens and works; it only loses its handle on the PSA's window.
  reply.header("cross-origin-opener-policy", "same-origin");
  if (!request.url.startsWith("/demo/static/")) reply.header("cache-control", "no-store");
  if (options.https) reply.header("strict-transport-security", "max-age=31536000; includeSubDomains");
}

/** Security headers on every response; HSTS only when Verity is served over HTTPS. */
export function installSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): void {
  app.addHook("onSend", async (request, reply) => applySecurityHeaders(request, reply, options));
}
