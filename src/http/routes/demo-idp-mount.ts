import type { FastifyInstance } from "fastify";
import type { Config } from "../../config/schema.js";
import type { Clock } from "../../domain/ports.js";
import { CALLER_SIGNIN_CALLBACK_PATH } from "../../services/caller-signin.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import { DEMO_IDP_PATH, demoIdpRoutes, type DemoPerson } from "./demo-idp.js";

/**
 * DEMO ONLY: serves the demo identity provider when a `simulated-signin` provider's issuer is this
 * server's own /demo/idp. Its people are the demo directories' users (found by each tenant's
 * domains), so the login page offers the caller and the others.
 */
export async function mountDemoIdp(app: FastifyInstance, deps: { config: Config; tenants: TenantRegistry; clock: Clock }): Promise<void> {
  const entry = Object.values(deps.config.providers).find((p) => p.kind === "simulated-signin" && new URL(p.issuer).pathname === DEMO_IDP_PATH);
  if (entry?.kind !== "simulated-signin") return;
  const base = (deps.config.server.publicUrl ?? `http://127.0.0.1:${deps.config.server.port}`).replace(/\/+$/, "");
  const people = async (): Promise<DemoPerson[]> => {
    const found = new Map<string, DemoPerson>();
    for (const tenant of deps.tenants.all()) {
      for (const domain of tenant.domains.filter((d) => d !== "*")) {
        for (const user of (await tenant.directory.search?.(domain, 50)) ?? []) found.set(user.id, { id: user.id, upn: user.upn, displayName: user.displayName });
      }
    }
    return [...found.values()];
  };
  await demoIdpRoutes(app, {
    issuer: entry.issuer,
    client: { clientId: entry.clientId, clientSecret: entry.clientSecret.reveal(), redirectUri: `${base}${CALLER_SIGNIN_CALLBACK_PATH}`, acrValues: entry.acrValues },
    people,
    clock: deps.clock,
  });
}
