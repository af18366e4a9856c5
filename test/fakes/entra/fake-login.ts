import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { checkAssertion } from "./fake-assertion.js";
import { consentedPermissions, type FakeState } from "./fake-entra-types.js";

const GRAPH_HOST_OF_CLOUD: Readonly<Record<string, string>> = {
  "microsoftonline.com": "graph.microsoft.com",
  "microsoftonline.us": "graph.microsoft.us",
  "partner.microsoftonline.cn": "microsoftgraph.chinacloudapi.cn",
};

/** Sends JSON with the headers Microsoft's endpoints use. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(body));
}

/** The login endpoints' error body: `error`, the AADSTS description with trace lines, `error_codes`. */
function loginError(state: FakeState, response: ServerResponse, status: number, error: string, code: number, description: string): void {
  const timestamp = state.now().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  const traceId = randomUUID();
  const correlationId = randomUUID();
  sendJson(response, status, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${state.loginUrl}/error?code=${code}`,
  });
}

function tenantNotFound(state: FakeState, response: ServerResponse, key: string, error: string): void {
  loginError(
    state,
    response,
    400,
    error,
    90002,
    `Tenant '${key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

const MULTI_TENANT = new Set(["common", "organizations", "consumers"]);

/**
 * The tenant-independent document (`common`, `organizations`, `consumers`): the issuer is a
 * template with `{tenantid}` and the endpoints keep the path segment asked for.
 */
function multiTenantConfiguration(state: FakeState, response: ServerResponse, key: string): void {
  const base = `${state.loginUrl}/${key}`;
  sendJson(
    response,
    200,
    {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      issuer: `${state.loginUrl}/{tenantid}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      tenant_region_scope: null,
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
    },
    { "cache-control": "max-age=86400, private" },
  );
}

/** GET {login}/{tenant or domain}/v2.0/.well-known/openid-configuration */
export function openIdConfiguration(state: FakeState, response: ServerResponse, key: string): void {
  if (MULTI_TENANT.has(key.toLowerCase())) return multiTenantConfiguration(state, response, key.toLowerCase());
  const tenant = state.tenant(key);
  if (tenant === undefined) return tenantNotFound(state, response, key, "invalid_tenant");
  const cloud = tenant.cloudInstanceName ?? "microsoftonline.com";
  const login = cloud === "microsoftonline.com" ? state.loginUrl : `https://login.${cloud}`;
  const base = `${login}/${tenant.id}`;
  sendJson(
    response,
    200,
    {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${login}/${tenant.id}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "ver"],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "WW",
      cloud_instance_name: cloud,
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: GRAPH_HOST_OF_CLOUD[cloud] ?? "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    },
    { "cache-control": "max-age=86400, private" },
  );
}

/** POST {login}/{tenant}/oauth2/v2.0/token, client-credentials grant only. */
export function tokenEndpoint(state: FakeState, response: ServerResponse, key: string, body: string): void {
  const form = new URLSearchParams(body);
  const tenant = state.tenant(key);
  if (tenant === undefined) return tenantNotFound(state, response, key, "invalid_request");
  if (form.get("grant_type") !== "client_credentials") {
    return loginError(state, response, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
  }
  const clientId = (form.get("client_id") ?? "").toLowerCase();
  const app = state.options.apps.find((a) => a.clientId.toLowerCase() === clientId);
  const installed = app !== undefined && (consentedPermissions(state, app, tenant.id) !== undefined || app.pendingConsent?.includes(tenant.id) === true);
  if (app === undefined || !installed) {
    return loginError(
      state,
      response,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName ?? tenant.id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const now = state.now();
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null) {
    const byValue = app.secrets?.find((s) => s.value === secret);
    if (byValue === undefined) {
      return loginError(
        state,
        response,
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
    }
    if (byValue.expiresAt !== undefined && byValue.expiresAt.getTime() <= now.getTime()) {
      return loginError(
        state,
        response,
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      );
    }
  } else if (assertion !== null) {
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return loginError(state, response, 400, "invalid_request", 50027, "Invalid client_assertion_type.");
    }
    const refusal = checkAssertion(assertion, {
      clientId: app.clientId,
      audiences: [...new Set([key, tenant.id])].map((t) => `${state.loginUrl}/${t}/oauth2/v2.0/token`),
      certificates: app.certificates ?? [],
      now,
    });
    if (refusal !== undefined) return loginError(state, response, 401, "invalid_client", refusal.code, refusal.description);
  } else {
    return loginError(state, response, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const scope = form.get("scope") ?? "";
  if (scope !== `${state.graphUrl}/.default`) {
    return loginError(
      state,
      response,
      400,
      "invalid_scope",
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
  }
  const granted = consentedPermissions(state, app, tenant.id);
  if (granted === undefined) {
    return loginError(
      state,
      response,
      400,
      "invalid_grant",
      65001,
      `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName ?? "Verity"}'. Send an interactive authorization request for this user and resource.`,
    );
  }
  const lifetime = state.options.tokenLifetimeSeconds ?? 3599;
  const accessToken = randomBytes(32).toString("base64url");
  state.tokens.set(accessToken, { tenant: tenant.id, clientId: app.clientId, roles: granted, expiresAt: now.getTime() + lifetime * 1000 });
  state.tokensIssued += 1;
  sendJson(response, 200, { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
}
