import type { ProbeResult } from "../../../domain/ports.js";
import { assertLoginAnswers } from "../../directory/entra/entra-probe.js";
import type { OutboundClient } from "../../http/outbound.js";
import { probeWith } from "../../shared/probe.js";
import type { ConnectorTokens } from "./connector-token.js";

/**
 * The MFA connector's connection test: a fresh connector token for the pinned tenant, which proves
 * the certificate (or secret) registered on the Azure Multi-Factor Auth Client's service principal.
 * The connector itself is not called: each of its calls starts an authentication. Without a pinned
 * tenant there is no one tenant to sign in to, so it checks only that sign-in answers, and says so.
 */
export function probeEntraMfa(deps: {
  readonly tenantId: string | undefined;
  readonly tokens: ConnectorTokens;
  readonly http: OutboundClient;
  readonly loginUrl: string;
  readonly clientId: string;
}): Promise<ProbeResult> {
  return probeWith(async () => {
    const tenant = deps.tenantId;
    if (tenant === undefined) {
      await assertLoginAnswers(deps.http, deps.loginUrl);
      return (
        `Microsoft Entra sign-in at ${deps.loginUrl} answers. This provider finds each caller's tenant from their UPN, so its credential ` +
        "is tested tenant by tenant, at the first push there; the connector is not called here, since every call to it starts an authentication."
      );
    }
    deps.tokens.invalidate(tenant);
    await deps.tokens.token(tenant);
    return (
      `Microsoft Entra issued application ${deps.clientId} a token for the MFA connector in tenant ${tenant}: the credential is registered ` +
      "on its service principal. The connector itself is not called, since every call to it starts an authentication."
    );
  });
}
