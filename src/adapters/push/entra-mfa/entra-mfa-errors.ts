import { VerityError } from "../../../domain/errors.js";
import { aadstsCode, retryAfterSeconds } from "../../directory/entra/entra-errors.js";
import { loginErrorSchema } from "../../directory/entra/entra-schemas.js";
import { OutboundError, type OutboundResponse } from "../../http/outbound.js";
import { readJson } from "../../http/json.js";

export const TOKEN_SERVICE = "The Microsoft Entra token endpoint";
export const CONNECTOR_SERVICE = "The Microsoft Entra MFA connector";

/** Where an error about the MFA client's credentials points the administrator. */
const REGISTER_HELP =
  "Register the certificate (public part) on the Azure Multi-Factor Auth Client service principal of that tenant, as the NPS extension's set-up script does: with Microsoft Graph PowerShell, read the service principal's KeyCredentials (Get-MgServicePrincipal -Filter \"appId eq '981f26a1-7f43-403b-a875-f8b09b8cd720'\"), append the certificate as an AsymmetricX509Cert with usage Verify, and write the whole list back with Update-MgServicePrincipal -KeyCredentials (see docs/integrations/entra-authenticator.md). A new certificate can take a few minutes to be accepted.";

/** A call that got no HTTP answer (refused, reset, timed out) after the outbound client's retries. */
export function unreachable(service: string, error: unknown): VerityError {
  if (error instanceof VerityError) return error;
  const detail = error instanceof OutboundError ? error.message : `${service} could not be reached.`;
  return new VerityError("PROVIDER_UNAVAILABLE", { message: detail, cause: error });
}

/** A 429 or 5xx once the retries are spent. */
export function unavailable(service: string, response: OutboundResponse): VerityError {
  const after = retryAfterSeconds(response);
  const what = response.status === 429 ? "is throttling Verity" : `answered HTTP ${response.status}`;
  return new VerityError("PROVIDER_UNAVAILABLE", {
    message: `${service} ${what}; try again${after === undefined ? " shortly" : ` in ${after} s`}.`,
    ...(after === undefined ? {} : { retryAfterSeconds: after }),
  });
}

/**
 * Turns a refusal of the v1 token endpoint into an error that says what to fix. Messages are
 * built from the tenant, the app id and the AADSTS code (plus Microsoft's first line for codes not
 * listed); the request's secret or assertion never appears.
 */
export function tokenRefusal(context: { readonly tenant: string; readonly clientId: string; readonly resource: string; readonly loginUrl: string }, response: OutboundResponse): VerityError {
  if (response.status === 429 || response.status >= 500) return unavailable(TOKEN_SERVICE, response);
  const parsed = loginErrorSchema.safeParse(readJson(response.text));
  const { tenant, clientId } = context;
  if (!parsed.success) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${TOKEN_SERVICE} refused a token for the MFA connector in tenant ${tenant} with HTTP ${response.status} and no readable error.`,
    });
  }
  const code = aadstsCode(parsed.data);
  const auth = (message: string) => new VerityError("UPSTREAM_AUTH_FAILED", { message, details: { aadsts: code, tenant } });
  const app = `the Azure Multi-Factor Auth Client (${clientId})`;
  switch (code) {
    case 700027:
      return auth(`Microsoft Entra did not accept Verity's certificate for ${app} in tenant ${tenant} (AADSTS700027): it is not registered on that service principal, or the private key does not belong to it. ${REGISTER_HELP}`);
    case 7000215:
      return auth(`Microsoft Entra rejected the client secret for ${app} in tenant ${tenant} (AADSTS7000215). Configure the secret's value (secretText), not its key id, for the service principal of this tenant.`);
    case 7000222:
      return auth(
        `The client secret for ${app} in tenant ${tenant} has expired (AADSTS7000222). Secrets on this service principal are meant to be short-lived: add a new one, or better, register a certificate. ${REGISTER_HELP}`,
      );
    case 700016:
      return auth(
        `Tenant ${tenant} has no service principal for ${app} (AADSTS700016). Create it once with Microsoft Graph PowerShell: New-MgServicePrincipal -AppId ${clientId}, then register Verity's certificate on it.`,
      );
    case 90002:
      return auth(`Microsoft Entra has no tenant ${tenant} (AADSTS90002). Check tenantId, and that loginUrl is the login host of the tenant's cloud.`);
    case 700024:
      return auth("Microsoft Entra says Verity's client assertion is outside its validity period (AADSTS700024); check this server's clock.");
    case 500011:
    case 500021:
      return auth(
        `Microsoft Entra does not know the resource ${context.resource} in tenant ${tenant} (AADSTS${code}). connectorUrl (or resource) must be the MFA connector of the tenant's cloud, such as https://adnotifications.windowsazure.com/StrongAuthenticationService.svc/Connector.`,
      );
    default: {
      const line = (parsed.data.error_description ?? "").split(/\r?\n/)[0] ?? "";
      return auth(`Microsoft Entra refused a token for ${app} in tenant ${tenant} (${code === undefined ? parsed.data.error : `AADSTS${code}`}): ${line.slice(0, 300)}`);
    }
  }
}

/** A connector HTTP answer other than 200. */
export function connectorHttpFailure(response: OutboundResponse): VerityError {
  if (response.status === 429 || response.status >= 500) return unavailable(CONNECTOR_SERVICE, response);
  if (response.status === 401 || response.status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${CONNECTOR_SERVICE} refused Verity's access token (HTTP ${response.status}) although Entra issued it. Check connectorUrl and the token resource belong to the same cloud as loginUrl.`,
    });
  }
  return new VerityError("PROVIDER_ERROR", { message: `${CONNECTOR_SERVICE} answered HTTP ${response.status}.` });
}
