import type { ProbeResult } from "../../../domain/ports.js";
import { probeWith } from "../../shared/probe.js";
import type { OktaClient } from "../../okta-shared/okta-client.js";
import type { OktaAuthConfig } from "./okta-config.js";
import { oktaError } from "../../okta-shared/okta-errors.js";

/** A login no one has: looking it up reads no one's data. Found anyway, it proves the same. */
const NOBODY = "verity-connection-test";

/**
 * Okta's connection test: a fresh access token (with an API service app), then a lookup of a user
 * who does not exist (`GET /api/v1/users/verity-connection-test`). Okta checks the credentials and
 * the okta.users.read scope before it looks, so 404 E0000007 proves both; nothing is read or sent.
 * Whether the admin role also lets Verity manage factors (pushes) no harmless call can show.
 */
export function probeOkta(client: Pick<OktaClient, "orgUrl" | "send" | "failure" | "forgetToken">, auth: OktaAuthConfig): Promise<ProbeResult> {
  return probeWith(async () => {
    client.forgetToken();
    const call = { action: "look up a user (a connection test)", scope: "okta.users.read" as const };
    const response = await client.send({ ...call, method: "GET", url: `${client.orgUrl}/api/v1/users/${NOBODY}`, retry: "idempotent" });
    const answered = response.status === 200 || (response.status === 404 && oktaError(response)?.errorCode === "E0000007");
    if (!answered) throw client.failure(response, call);
    const who = auth.kind === "ssws" ? "the API token" : `an access token issued to API service app ${auth.clientId}`;
    return (
      `Okta (${client.orgUrl}) accepted ${who} and answered a user lookup: reading users (okta.users.read) works. ` +
      "Sending pushes also needs the right to manage users' factors, which only a real push shows."
    );
  });
}
