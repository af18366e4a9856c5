import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { PACKAGE_ROOT } from "../../config/demo.js";
import type { ChainStatus } from "../../services/chain-status.js";
import type { SsoSignin } from "../../services/sso-signin.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import type { WebSessionService } from "../../services/web-sessions.js";
import type { WebUserService } from "../../services/web-users.js";
import { historyDetailRoutes } from "./history-detail-page.js";
import { historyRoutes } from "./history-page.js";
import type { Clock } from "../../domain/ports.js";
import type { ConnectionTests } from "../../services/connection-tests.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { TokenService } from "../../services/token-service.js";
import { adminIntegrationsRoutes } from "./admin-integrations-page.js";
import { adminRoutes } from "./admin-page.js";
import { adminTokensRoutes } from "./admin-tokens-page.js";
import { adminUsersRoutes } from "./admin-users-page.js";
import { signinRoutes, type SsoButton } from "./signin-page.js";
import { ssoRoutes } from "./sso-routes.js";
import { verifyLiveRoutes } from "./verify-live.js";
import { verifyStartRoutes } from "./verify-page.js";

const ASSETS: Record<string, string> = {
  "app.css": "text/css; charset=utf-8",
  "verify.js": "text/javascript; charset=utf-8",
  "icon.svg": "image/svg+xml",
};

export interface WebDeps {
  readonly engine: VerificationEngine;
  readonly users: WebUserService;
  readonly tenants: Pick<TenantRegistry, "all" | "get">;
  readonly sessions: WebSessionService;
  readonly publicUrl: string | undefined;
  readonly demo: boolean;
  readonly sso: readonly SsoButton[];
  /** Whether the audit chain verifies, checked in the background for the history pages. */
  readonly chain: ChainStatus;
  readonly tokens: TokenService;
  readonly connections: ConnectionTests;
  readonly clock: Clock;
  readonly ssoSignin: SsoSignin;
}

/**
 * The technician's web app: server-rendered pages (one file per screen in this folder) over the
 * same engine the API uses, a little script from /static/web, and HTML forms. Forms are read only
 * inside this plugin; the API keeps its strict JSON.
 */
export function webRoutes(app: FastifyInstance, deps: WebDeps): void {
  const dir = join(PACKAGE_ROOT, "static", "web");
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(join(dir, name), "utf8") }]));
  app.get<{ Params: { name: string } }>("/static/web/:name", (request, reply) => {
    const asset = assets.get(request.params.name);
    if (asset === undefined) return reply.callNotFound();
    return reply.type(asset.type).header("cache-control", "no-cache").send(asset.body);
  });
  app.get("/favicon.ico", (_request, reply) => reply.redirect("/static/web/icon.svg", 301));

  void app.register((pages, _options, done) => {
    pages.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, parsed) => {
      const form = Object.create(null) as Record<string, string>;
      for (const [key, value] of new URLSearchParams(body as string)) form[key] = value;
      parsed(null, form);
    });
    signinRoutes(pages, deps);
    ssoRoutes(pages, deps);
    verifyStartRoutes(pages, deps);
    verifyLiveRoutes(pages, deps);
    historyRoutes(pages, deps);
    historyDetailRoutes(pages, deps);
    adminRoutes(pages, deps);
    adminTokensRoutes(pages, deps);
    adminIntegrationsRoutes(pages, deps);
    adminUsersRoutes(pages, deps);
    done();
  });
}
