import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Runtime } from "../main.js";
import { isVerityError, VerityError } from "../domain/errors.js";
import { installErrorHandling, sendError } from "./error-handler.js";
import { registerStrictJson } from "./json-body.js";
import { buildOpenApi } from "./openapi.js";
import { installRateLimit } from "./rate-limit.js";
import { auditRoutes } from "./routes/audit.js";
import { demoRoutes } from "./routes/demo.js";
import { callerSigninRoutes } from "./routes/caller-signin.js";
import { mountDemoIdp } from "./routes/demo-idp-mount.js";
import { directoryRoutes } from "./routes/directory.js";
import { metricsRoute } from "./routes/metrics.js";
import { healthRoutes } from "./routes/health.js";
import { ticketingHookRoutes } from "./routes/hooks-ticketing.js";
import { twilioHookRoutes } from "./routes/hooks-twilio.js";
import { approvalRoutes } from "./routes/approval.js";
import { callerLinkRoutes } from "./routes/caller-link.js";
import { callerFaceCheckRoutes } from "./routes/caller-faceid.js";
import { verifiedIdHookRoutes } from "./routes/hooks-verified-id.js";
import { linkRoutes } from "./routes/link.js";
import { tokenRoutes } from "./routes/tokens.js";
import { verificationRoutes } from "./routes/verifications.js";
import { createChainStatus } from "../services/chain-status.js";
import { applySecurityHeaders, installSecurityHeaders } from "./security-headers.js";
import { actsWithSession, assertFromOurPages } from "./web/web-auth.js";
import { webRoutes } from "./web/web-routes.js";
import { createConnectionTests } from "../services/connection-tests.js";
import { probeDestination } from "../services/notifications.js";
import { VERSION } from "../version.js";


/**
 * Whose X-Forwarded-For Fastify believes: nobody's, the listed proxies' (addresses or CIDR
 * ranges), or the first `hops` proxies counted from Verity. Never everybody's.
 */
function trustedProxies(setting: number | boolean | readonly string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return typeof setting === "boolean" ? false : [...setting];
}

/**
 * The HTTP app, not listening: `verity serve` listens, tests call `app.inject()`. Request logs
 * carry method, URL and status only; bodies (which hold codes) are never logged.
 */
export async function buildApp(runtime: Runtime): Promise<FastifyInstance> {
  const { config } = runtime;
  const logger: FastifyBaseLogger = runtime.log;
  const https = config.server.publicUrl?.startsWith("https://") ?? false;
  const limits: { current?: ReturnType<typeof installRateLimit> } = {};
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    bodyLimit: config.server.bodyLimitBytes,
    trustProxy: trustedProxies(config.server.trustProxy),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 300 },
    // The router's own refusals (a path too long, bad percent-encoding) skip every hook: route
    // them through the same limit, headers and error registry, and never echo the URL.
    frameworkErrors: (error, request, reply) => {
      const failure = new VerityError(error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "URI_TOO_LONG" : "BAD_URL");
      void (limits.current?.anonymous(request, reply) ?? Promise.resolve())
        .then(
          () => failure,
          (limited: unknown) => (isVerityError(limited) ? limited : failure),
        )
        .then((answer) => {
          reply.type("application/json; charset=utf-8");
          applySecurityHeaders(request, reply, { https });
          return sendError(reply, answer);
        });
    },
  });
  app.decorateRequest("actor", null);
  app.decorateRequest("webSession", null);
  registerStrictJson(app);
  installErrorHandling(app, { audit: runtime.audit });
  installSecurityHeaders(app, { https, frameAncestors: config.web.frameAncestors });
  limits.current = installRateLimit(app, {
    perMinute: config.server.requestsPerMinute,
    webhookPerMinute: config.server.webhookRequestsPerMinute,
    clock: runtime.clock,
    counter: runtime.requestCounter,
    log: runtime.log,
    tokens: runtime.tokens,
    sessions: runtime.webSessions,
    links: runtime.links,
  });
  // A browser session may change something only from Verity's own pages (Origin and CSRF token).
  // Routes with credentials of their own (the demo phone, webhooks, page links) are not the
  // session's, so a signed-in browser's cookie changes nothing for them.
  app.addHook("preHandler", (request, _reply, done) => {
    try {
      if (request.webSession !== null && actsWithSession(request.url)) {
        assertFromOurPages(request, request.webSession, { sessions: runtime.webSessions, publicUrl: config.server.publicUrl });
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  const metrics = runtime.metrics;
  if (metrics !== undefined) {
    // The route pattern, never the URL: ids and tokens in paths stay out of the labels.
    app.addHook("onResponse", (request, reply, done) => {
      metrics.observeHttp(request.routeOptions.url ?? "unmatched", request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
    const token = config.server.metrics?.token;
    if (token !== undefined) metricsRoute(app, { metrics, token: token.reveal() });
  }

  const openapi = buildOpenApi(VERSION);
  app.get("/api/openapi.json", () => openapi);
  healthRoutes(app, { db: runtime.database.db });
  verificationRoutes(app, { engine: runtime.engine, tokens: runtime.tokens, maxStreamsPerClient: config.server.maxStreamsPerClient });
  directoryRoutes(app, { engine: runtime.engine, tokens: runtime.tokens });
  auditRoutes(app, { db: runtime.database.db, tokens: runtime.tokens, verifier: runtime.auditVerifier });
  tokenRoutes(app, { tokens: runtime.tokens, tenants: runtime.tenants });
  linkRoutes(app, { engine: runtime.engine, links: runtime.links, tenants: runtime.tenants, db: runtime.database.db });
  callerLinkRoutes(app, { engine: runtime.engine, publicUrl: config.server.publicUrl });
  approvalRoutes(app, { engine: runtime.engine, publicUrl: config.server.publicUrl });
  callerSigninRoutes(app, { engine: runtime.engine, publicUrl: config.server.publicUrl });
  if (runtime.proofing.size > 0) {
    callerFaceCheckRoutes(app, { engine: runtime.engine, publicUrl: config.server.publicUrl });
    verifiedIdHookRoutes(app, { services: [...runtime.proofing.values()], engine: runtime.engine });
  }
  if (runtime.ticketing.triggers.length > 0) {
    ticketingHookRoutes(app, {
      routes: runtime.ticketing.triggers,
      audit: runtime.audit,
      queue: runtime.queue,
      engine: runtime.engine,
      tenants: runtime.tenants,
      clock: runtime.clock,
    });
  }
  if (config.server.publicUrl !== undefined && runtime.twilioCallbacks.length > 0) {
    twilioHookRoutes(app, { publicUrl: config.server.publicUrl, accounts: runtime.twilioCallbacks, engine: runtime.engine });
  }
  webRoutes(app, {
    engine: runtime.engine,
    users: runtime.webUsers,
    tenants: runtime.tenants,
    sessions: runtime.webSessions,
    publicUrl: config.server.publicUrl,
    demo: runtime.loaded.demo,
    sso: runtime.ssoSignin.providers,
    ssoSignin: runtime.ssoSignin,
    chain: createChainStatus({ verifier: runtime.auditVerifier, clock: runtime.clock, log: runtime.log }),
    tokens: runtime.tokens,
    connections: createConnectionTests({
      tenants: runtime.tenants,
      config,
      anchors: runtime.anchors,
      notifications: {
        all: () => runtime.notifications.all(),
        probe: (d) => probeDestination(d, { clock: runtime.clock, db: runtime.database.db, audit: runtime.audit }),
      },
      audit: runtime.audit,
      clock: runtime.clock,
    }),
    clock: runtime.clock,
  });
  // The demo phone shows codes by design: it exists only in the demo, never in `verity serve`.
  if (runtime.loaded.demo && (runtime.dev.outboxPath !== null || runtime.dev.simulated.size > 0 || runtime.dev.verifiedId.size > 0)) demoRoutes(app, { dev: runtime.dev });
  // The demo's identity provider, for a simulated-signin service: likewise only in the demo.
  if (runtime.loaded.demo) await mountDemoIdp(app, { config, tenants: runtime.tenants, clock: runtime.clock });
  await app.ready();
  return app;
}
