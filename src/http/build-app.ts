import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Runtime } from "../main.js";
import { installErrorHandling } from "./error-handler.js";
import { registerStrictJson } from "./json-body.js";
import { buildOpenApi } from "./openapi.js";
import { installRateLimit } from "./rate-limit.js";
import { auditRoutes } from "./routes/audit.js";
import { demoRoutes } from "./routes/demo.js";
import { directoryRoutes } from "./routes/directory.js";
import { healthRoutes } from "./routes/health.js";
import { haloHookRoutes } from "./routes/hooks-halopsa.js";
import { twilioHookRoutes } from "./routes/hooks-twilio.js";
import { linkRoutes } from "./routes/link.js";
import { tokenRoutes } from "./routes/tokens.js";
import { verificationRoutes } from "./routes/verifications.js";
import { installSecurityHeaders } from "./security-headers.js";
import { VERSION } from "../version.js";


/**
 * The HTTP app, not listening: `verity serve` listens, tests call `app.inject()`. Request logs
 * carry method, URL and status only; bodies (which hold codes) are never logged.
 */
export async function buildApp(runtime: Runtime): Promise<FastifyInstance> {
  const { config } = runtime;
  const logger: FastifyBaseLogger = runtime.log;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    bodyLimit: config.server.bodyLimitBytes,
    trustProxy: config.server.trustProxy,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 300 },
  });
  app.decorateRequest("actor", null);
  registerStrictJson(app);
  installErrorHandling(app);
  installSecurityHeaders(app, { https: config.server.publicUrl?.startsWith("https://") ?? false });
  installRateLimit(app, { perMinute: config.server.requestsPerMinute, clock: runtime.clock });

  const openapi = buildOpenApi(VERSION);
  app.get("/api/openapi.json", () => openapi);
  healthRoutes(app, { db: runtime.database.db });
  verificationRoutes(app, { engine: runtime.engine, tokens: runtime.tokens });
  directoryRoutes(app, { engine: runtime.engine, tokens: runtime.tokens });
  auditRoutes(app, { db: runtime.database.db, tokens: runtime.tokens, verifier: runtime.auditVerifier });
  tokenRoutes(app, { tokens: runtime.tokens });
  linkRoutes(app, { engine: runtime.engine, links: runtime.links, tenants: runtime.tenants, db: runtime.database.db });
  if (runtime.haloWebhooks.size > 0) {
    haloHookRoutes(app, {
      instances: runtime.haloWebhooks,
      audit: runtime.audit,
      queue: runtime.queue,
      engine: runtime.engine,
      tenants: runtime.tenants,
      db: runtime.database.db,
      clock: runtime.clock,
    });
  }
  if (config.server.publicUrl !== undefined && runtime.twilioCallbacks.length > 0) {
    twilioHookRoutes(app, { publicUrl: config.server.publicUrl, accounts: runtime.twilioCallbacks, engine: runtime.engine });
  }
  if (runtime.dev.outboxPath !== null || runtime.dev.simulated.size > 0) demoRoutes(app, { dev: runtime.dev });
  await app.ready();
  return app;
}
