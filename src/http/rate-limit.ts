import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { VerityError } from "../domain/errors.js";
import type { Clock } from "../domain/ports.js";
import type { VerificationLinks } from "../services/links.js";
import type { TokenService } from "../services/token-service.js";
import type { WebSessionService } from "../services/web-sessions.js";
import { sessionOf } from "./web/web-auth.js";

const LINK_API = /^\/api\/v1\/link\/verifications\/([0-9a-f-]{36})(?:\/|\?|$)/i;

/** The bearer token a request presents, if it presents one. */
export const bearerOf = (header: string | undefined): string | null => (header === undefined ? null : (/^Bearer ([^\s]+)$/i.exec(header)?.[1] ?? null));

/**
 * Per-client fixed-window request limits held in memory: they protect one instance from one noisy
 * client. Each client has its own bucket, so one cannot use up another's:
 * - an API token or a signed-in browser session once recognised, and a page link's verification
 *   once its capability checks out:
 *   an anonymous flood from the same address (every caller behind one proxy) cannot lock them out;
 * - the client address for requests without a valid credential (bad tokens included);
 * - the source address on the webhook routes (/hooks/…), apart from both.
 * The token is recognised here, before any route runs, and kept on the request for `requireToken`.
 * Limits that must hold across instances (sends, pushes, failed checks per caller) are enforced
 * from the database by the engine instead.
 */
export function installRateLimit(
  app: FastifyInstance,
  options: {
    perMinute: number;
    webhookPerMinute: number;
    clock: Clock;
    tokens: Pick<TokenService, "authenticate">;
    sessions: Pick<WebSessionService, "resolve">;
    links: Pick<VerificationLinks, "check">;
  },
): { anonymous(request: FastifyRequest, reply: FastifyReply): void } {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = 0;

  const take = (reply: FastifyReply, key: string, perMinute: number): void => {
    const now = options.clock.now().getTime();
    const windowStart = now - (now % 60_000);
    if (windowStart !== lastSweep) {
      for (const [k, w] of windows) if (w.start < windowStart) windows.delete(k);
      lastSweep = windowStart;
    }
    const current = windows.get(key);
    const entry = current !== undefined && current.start === windowStart ? current : { start: windowStart, count: 0 };
    entry.count += 1;
    windows.set(key, entry);
    reply.header("ratelimit-limit", String(perMinute));
    reply.header("ratelimit-remaining", String(Math.max(0, perMinute - entry.count)));
    if (entry.count > perMinute) {
      throw new VerityError("RATE_LIMITED", { retryAfterSeconds: Math.ceil((windowStart + 60_000 - now) / 1000) });
    }
  };

  const linkOf = (request: FastifyRequest): string | null => {
    const id = LINK_API.exec(request.url)?.[1];
    const capability = request.headers["x-verity-link"];
    return id !== undefined && typeof capability === "string" && options.links.check(id, capability) ? id : null;
  };

  app.addHook("onRequest", async (request, reply) => {
    if (request.url === "/healthz" || request.url === "/readyz") return;
    const bearer = bearerOf(request.headers.authorization);
    const actor = bearer === null ? null : await options.tokens.authenticate(bearer);
    if (actor !== null) {
      request.actor = actor;
      take(reply, `token:${actor.id}`, options.perMinute);
      return;
    }
    const session = bearer === null && !request.url.startsWith("/hooks/") ? await sessionOf(request, options.sessions) : null;
    if (session !== null) {
      request.webSession = session;
      request.actor = session.actor;
      take(reply, `session:${session.user.id}`, options.perMinute);
      return;
    }
    const link = linkOf(request);
    if (link !== null) take(reply, `link:${link}`, options.perMinute);
    else if (request.url.startsWith("/hooks/")) take(reply, `hook:${request.ip}`, options.webhookPerMinute);
    else take(reply, `addr:${request.ip}`, options.perMinute);
  });
  return { anonymous: (request, reply) => take(reply, `addr:${request.ip}`, options.perMinute) };
}
