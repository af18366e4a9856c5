import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const COMMON = {
  "x-content-type-options": "nosniff",
  // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with a page's own
  // form posts, and the Origin check against cross-site requests needs the real one. Other sites
  // still get no referrer.
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
} as const;

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/** Pages load their script and style from this origin only; nothing inline, nothing framed. */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export const SSE_HEADERS = {
  ...COMMON,
  "content-security-policy": API_CSP,
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** Sets the security headers on one reply (also used where Fastify's hooks do not run). */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply, options: { https: boolean }): void {
  for (const [name, value] of Object.entries(COMMON)) reply.header(name, value);
  const type = String(reply.getHeader("content-type") ?? "");
  reply.header("content-security-policy", type.startsWith("text/html") ? PAGE_CSP : API_CSP);
  if (!request.url.startsWith("/demo/static/")) reply.header("cache-control", "no-store");
  if (options.https) reply.header("strict-transport-security", "max-age=31536000; includeSubDomains");
}

/** Security headers on every response; HSTS only when Verity is served over HTTPS. */
export function installSecurityHeaders(app: FastifyInstance, options: { https: boolean }): void {
  app.addHook("onSend", async (request, reply) => applySecurityHeaders(request, reply, options));
}
