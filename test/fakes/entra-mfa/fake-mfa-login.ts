import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { MFA_CLIENT_APP_ID } from "../../../src/adapters/push/entra-mfa/entra-mfa-config.js";
import { checkAssertion } from "../entra/fake-assertion.js";
import type { FakeState } from "../entra/fake-entra-types.js";
import { openIdConfiguration, sendJson } from "../entra/fake-login.js";
import type { FakeEntraMfaOptions, FakeMfaRequest, FakeMfaTenant, IssuedMfaToken } from "./fake-entra-mfa-types.js";

/** What the login handlers share with the connector. */
export interface MfaLoginState {
  readonly options: FakeEntraMfaOptions;
  readonly loginUrl: string;
  /** The resource the connector's tokens must be issued for. */
  readonly resource: string;
  now(): number;
  tenant(key: string): FakeMfaTenant | undefined;
  readonly tokens: Map<string, IssuedMfaToken>;
  tokensIssued: number;
}

function loginError(state: MfaLoginState, response: ServerResponse, status: number, error: string, code: number, description: string): void {
  const timestamp = new Date(state.now()).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  const traceId = randomUUID();
  const correlationId = randomUUID();
  sendJson(response, status, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
  });
}

/**
 * Discovery is the Entra fake's own handler, fed this fake's tenants, so both fakes answer the
 * `openid-configuration` document identically.
 */
export function discovery(state: MfaLoginState, response: ServerResponse, key: string): void {
  const entraState: FakeState = {
    options: { tenants: state.options.tenants.map((t) => ({ id: t.id, domains: t.domains, displayName: t.displayName, cloudInstanceName: t.cloudInstanceName })), apps: [] },
    loginUrl: state.loginUrl,
    graphUrl: `${state.loginUrl.replace(/\/login$/, "")}/graph`,
    now: () => new Date(state.now()),
    tenant: (k) => {
      const found = state.tenant(k);
      return found === undefined ? undefined : { id: found.id, domains: found.domains, displayName: found.displayName, cloudInstanceName: found.cloudInstanceName };
    },
    tokens: new Map(),
    tokensIssued: 0,
  };
  openIdConfiguration(entraState, response, key);
}

/**
 * POST {login}/{tenant}/oauth2/token — the v1 client-credentials grant with `resource=`, for the
 * Azure Multi-Factor Auth Client only, with a secret or a certificate assertion checked against
 * that tenant's service principal. Numbers in the answer are strings, as v1 sends them.
 */
export function v1TokenEndpoint(state: MfaLoginState, response: ServerResponse, key: string, body: string, entry: FakeMfaRequest): void {
  const form = new URLSearchParams(body);
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  entry.credential = secret !== null ? "secret" : assertion !== null ? "assertion" : "none";
  entry.resource = form.get("resource");
  const tenant = state.tenant(key);
  if (tenant === undefined) {
    return loginError(state, response, 400, "invalid_request", 90002, `Tenant '${key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
  }
  if (form.get("grant_type") !== "client_credentials") {
    return loginError(state, response, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
  }
  const clientId = (form.get("client_id") ?? "").toLowerCase();
  const principal = tenant.mfaClient === undefined ? {} : tenant.mfaClient;
  if (clientId !== MFA_CLIENT_APP_ID || principal === null) {
    return loginError(
      state,
      response,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName ?? tenant.id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    );
  }
  const resource = form.get("resource") ?? "";
  if (resource !== state.resource) {
    return loginError(state, response, 400, "invalid_resource", 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName ?? tenant.id}.`);
  }
  const now = state.now();
  if (secret !== null) {
    const match = principal.secrets?.find((s) => s.value === secret);
    if (match === undefined) {
      return loginError(state, response, 401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    if (match.expiresAt !== undefined && match.expiresAt.getTime() <= now) {
      return loginError(state, response, 401, "invalid_client", 7000222, `The provided client secret keys for app '${clientId}' are expired.`);
    }
  } else if (assertion !== null) {
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return loginError(state, response, 400, "invalid_request", 50027, "Invalid client_assertion_type.");
    }
    const refusal = checkAssertion(assertion, {
      clientId: MFA_CLIENT_APP_ID,
      audiences: [...new Set([key, tenant.id])].flatMap((t) => [`${state.loginUrl}/${t}/oauth2/token`, `${state.loginUrl}/${t}/oauth2/v2.0/token`]),
      certificates: principal.certificates ?? [],
      now: new Date(now),
    });
    if (refusal !== undefined) return loginError(state, response, 401, "invalid_client", refusal.code, refusal.description);
  } else {
    return loginError(state, response, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const lifetime = state.options.tokenLifetimeSeconds ?? 3599;
  const token = randomBytes(32).toString("base64url");
  state.tokens.set(token, { tenant: tenant.id, resource, expiresAt: now + lifetime * 1000 });
  state.tokensIssued += 1;
  const seconds = Math.floor(now / 1000);
  sendJson(response, 200, {
    token_type: "Bearer",
    expires_in: String(lifetime),
    ext_expires_in: String(lifetime),
    expires_on: String(seconds + lifetime),
    not_before: String(seconds),
    resource,
    access_token: token,
  });
}
