import type { FastifyInstance } from "fastify";
import { VerityError } from "../domain/errors.js";
import type { Clock } from "../domain/ports.js";

/**
 * A per-client fixed-window request limit held in memory: it protects one instance from one noisy
 * client. Limits that must hold across instances (sends, pushes, failed checks per caller) are
 * enforced from the database by the engine instead.
 */
export function installRateLimit(app: FastifyInstance, options: { perMinute: number; clock: Clock }): void {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = 0;
  app.addHook("onRequest", async (request, reply) => {
    if (request.url === "/healthz" || request.url === "/readyz") return;
    const now = options.clock.now().getTime();
    const windowStart = now - (now % 60_000);
    if (windowStart !== lastSweep) {
      for (const [key, w] of windows) if (w.start < windowStart) windows.delete(key);
      lastSweep = windowStart;
    }
    const key = request.ip;
    const current = windows.get(key);
    const entry = current !== undefined && current.start === windowStart ? current : { start: windowStart, count: 0 };
    entry.count += 1;
    windows.set(key, entry);
    reply.header("ratelimit-limit", String(options.perMinute));
    reply.header("ratelimit-remaining", String(Math.max(0, options.perMinute - entry.count)));
    if (entry.count > options.perMinute) {
      throw new VerityError("RATE_LIMITED", { retryAfterSeconds: Math.ceil((windowStart + 60_000 - now) / 1000) });
    }
  });
}
