import { createServer, type Server } from "node:http";
import type { FastifyInstance } from "fastify";
import { hashesEqual } from "../../domain/otp.js";
import { VerityError } from "../../domain/errors.js";
import type { Metrics } from "../../services/metrics.js";

/**
 * GET /metrics on the API server, behind the configured bearer token (compared in constant time).
 * Scrapers that cannot send a header use the separate listener instead.
 */
export function metricsRoute(app: FastifyInstance, deps: { metrics: Metrics; token: string }): void {
  app.get("/metrics", async (request, reply) => {
    const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? "";
    if (!hashesEqual(given, deps.token)) {
      throw new VerityError("UNAUTHENTICATED", { message: "Metrics need the bearer token configured in server.metrics.token." });
    }
    const { contentType, body } = await deps.metrics.render();
    return reply.type(contentType).header("cache-control", "no-store").send(body);
  });
}

/**
 * The metrics on a listener of their own (server.metrics.port): GET /metrics only, nothing else,
 * behind the token too when one is configured. Bind it to an address only the scraper reaches.
 */
export async function startMetricsListener(deps: { metrics: Metrics; host: string; port: number; token: string | undefined }): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (request.method !== "GET" || path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Only GET /metrics is served here.\n");
      return;
    }
    const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1] ?? "";
    if (deps.token !== undefined && !hashesEqual(given, deps.token)) {
      response.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": "Bearer" }).end("A valid bearer token is required.\n");
      return;
    }
    deps.metrics.render().then(
      ({ contentType, body }) => response.writeHead(200, { "content-type": contentType, "cache-control": "no-store" }).end(body),
      () => response.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Metrics could not be collected.\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.port, deps.host, () => resolve());
  });
  return server;
}
