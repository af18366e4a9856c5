import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { ProbeResult } from "../../../domain/ports.js";
import type { OutboundClient } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import { unreachable } from "./entra-errors.js";
import type { EntraOrganisations } from "./entra-organisation.js";
import { graphPageSchema } from "./entra-schemas.js";
import type { GraphClient } from "./graph-client.js";
import type { TokenProvider } from "./token-provider.js";

const someUsers = graphPageSchema(z.object({ id: z.string() }));

/**
 * Checks that Microsoft Entra sign-in at `loginUrl` answers, with the tenant-independent
 * discovery document (`/common/v2.0/.well-known/openid-configuration`, no credentials).
 * @throws VerityError when it does not.
 */
export async function assertLoginAnswers(http: OutboundClient, loginUrl: string): Promise<void> {
  let status: number;
  try {
    ({ status } = await http.request({ method: "GET", url: `${loginUrl}/common/v2.0/.well-known/openid-configuration`, retry: "idempotent" }));
  } catch (error) {
    throw unreachable("Microsoft Entra sign-in", error);
  }
  if (status !== 200) {
    throw new VerityError("DIRECTORY_ERROR", { message: `Microsoft Entra sign-in at ${loginUrl} answered HTTP ${status} for its discovery document; check loginUrl.` });
  }
}

/**
 * The Entra directory's connection test: a fresh app-only token for the tenant it serves, then one
 * page of one user id (`GET /users?$top=1&$select=id`, User.Read.All, the permission no lookup can
 * do without), then the organisation's name (cached, so the administrator sees which tenant that
 * was). A directory serving every tenant (`*`) has no one tenant to sign in to: it checks only
 * that sign-in answers, and says so.
 */
export function probeEntraDirectory(deps: {
  readonly tenant: () => Promise<string | undefined>;
  readonly tokens: TokenProvider;
  readonly graph: GraphClient;
  readonly organisations: EntraOrganisations;
  readonly login: OutboundClient;
  readonly loginUrl: string;
  readonly clientId: string;
}): Promise<ProbeResult> {
  return probeWith(async () => {
    const tenant = await deps.tenant();
    if (tenant === undefined) {
      await assertLoginAnswers(deps.login, deps.loginUrl);
      return (
        `Microsoft Entra sign-in at ${deps.loginUrl} answers. This directory finds each caller's Entra tenant from their email domain, ` +
        `so application ${deps.clientId} is signed in tenant by tenant as callers are looked up; look up a caller of a client to test that client's consent.`
      );
    }
    // A cached token proves the credentials worked when it was fetched, not now.
    deps.tokens.invalidate(tenant);
    await deps.tokens.token(tenant);
    await deps.graph.get({ tenant, path: "/users?$top=1&$select=id", permission: "User.Read.All" }, someUsers);
    const name = await deps.organisations.displayName(tenant);
    return `Application ${deps.clientId} signed in to Microsoft Entra tenant ${tenant}${name === null ? "" : ` (${name})`} and read its users: User.Read.All is granted.`;
  });
}
