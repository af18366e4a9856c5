import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { VerityError } from "../domain/errors.js";
import type { Logger } from "pino";
import type { Clock, RequestCounter } from "../domain/ports.js";
import { createMemoryRequestCounter } from "../services/request-counters.js";
import type { VerificationLinks } from "../services/links.js";
import type { TokenService } from "../services/token-service.js";
import type { WebSessionService } from "../services/web-sessions.js";
import { sessionOf } from "./web/web-auth.js";

const LINK_API = /^\/api\/v1\/link\/verifications\/([0-9a-f-]{36})(?:\/|\?|$)/i;

/** The bearer token a request presents, if it presents one. */
export const bearerOf = (header: string | undefined): string | null => (header === undefined ? null : (/^Bearer ([^\s]+)$/i.exec(header)?.[1] ?? null));

/**
 * Per-client fixed-window request limits. Each client has its own bucket, so one cannot use up
 * another's:
 * - an API token or a signed-in browser session once recognised, and a page link's verification
 *   once its capability checks out:
 *   an anonymous flood from the same address (every caller behind one proxy) cannot lock them out;
 * - the client address for requests without a valid credential (bad tokens included);
 * - the source address on the webhook routes (/hooks/…), apart from both.
 * The token is recognised here, before any route runs, and kept on the request for `requireToken`.
 *
 * The first four are counted by `counter`: in memory on one instance, in PostgreSQL when several
 * share it, because they stand between a client and guessing (tokens, passwords, link codes) and
 * a balancer must not multiply them. The webhook bucket always stays in this process: it is the
 * first defence against floods of forged deliveries, which must cost no database write, and the
 * deliveries' own secrets are what stop guessing there. Once a client is over its limit here,
 * further requests in the minute are refused without asking the database. When the shared counts
 * cannot be reached, this instance counts on its own (the limit then holds per instance) rather
 * than failing every request. Limits per caller (sends, pushes, failed checks) are enforced from
 * the database by the engine instead.
 */
export function installRateLimit(
  app: FastifyInstance,
  options: {
    perMinute: number;
    webhookPerMinute: number;
    clock: Clock;
    counter: RequestCounter;
    log: Pick<Logger, "warn">;
    tokens: Pick<TokenService, "authenticate">;
    sessions: Pick<WebSessionService, "resolve">;
    links: Pick<VerificationLinks, "check">;
  },
): { anonymous(request: FastifyRequest, reply: FastifyReply): Promise<void> } {
  const local = createMemoryRequestCounter();
  let warnedFor = 0;

  const sharedCount = async (key: string, windowStart: number, perMinute: number): Promise<number> => {
    const here = local.addNow(key, windowStart);
    if (here > perMinute) return here;
    try {
      const count = await options.counter.add(key, windowStart);
      if (count > perMinute) local.raise(key, windowStart, count);
      return count;
    } catch (error) {
      if (warnedFor !== windowStart) {
        warnedFor = windowStart;
        options.log.warn({ err: error }, "the shared request limits cannot be reached; this instance counts requests on its own until they can");
      }
      return here;
    }
  };

  const take = async (reply: FastifyReply, key: string, perMinute: number, scope: "shared" | "instance" = "shared"): Promise<void> => {
    const now = options.clock.now().getTime();
    const windowStart = now - (now % 60_000);
    let count: number;
    if (scope === "instance") count = local.addNow(key, windowStart);
    else if (options.counter.shared) count = await sharedCount(key, windowStart, perMinute);
    else count = await options.counter.add(key, windowStart);
    reply.header("ratelimit-limit", String(perMinute));
    reply.header("ratelimit-remaining", String(Math.max(0, perMinute - count)));
    if (count > perMinute) {
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
      await take(reply, `token:${actor.id}`, options.perMinute);
      return;
    }
    const session = bearer === null && !request.url.startsWith("/hooks/") ? await sessionOf(request, options.sessions) : null;
    if (session !== null) {
      request.webSession = session;
      request.actor = session.actor;
      await take(reply, `session:${session.user.id}`, options.perMinute);
      return;
    }
    const link = linkOf(request);
    if (link !== null) await take(reply, `link:${link}`, options.perMinute);
    else if (request.url.startsWith("/hooks/")) await take(reply, `hook:${request.ip}`, options.webhookPerMinute, "instance");
    else await take(reply, `addr:${request.ip}`, options.perMinute);
  });
  return { anonymous: (request, reply) => take(reply, `addr:${request.ip}`, options.perMinute) };
}
