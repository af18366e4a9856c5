import { CircuitOpenError, OutboundError, retryAfterMs } from "../../http/outbound.js";
import type { OutboundResponse } from "../../http/outbound.js";
import { VerityError } from "../../../domain/errors.js";
import { loginErrorSchema } from "./entra-schemas.js";
import { readJson } from "../../http/json.js";

/** What an error message about one tenant and app needs to say. */
export interface EntraErrorContext {
  readonly loginUrl: string;
  readonly clientId: string;
  readonly tenant: string;
}

/** The URL an administrator of `tenant` opens to grant the app its application permissions. */
export function adminConsentUrl(context: EntraErrorContext): string {
  return `${context.loginUrl}/${encodeURIComponent(context.tenant)}/adminconsent?client_id=${context.clientId}`;
}

/** Retry-After of a response, in whole seconds, when it sent one. */
export function retryAfterSeconds(response: Pick<OutboundResponse, "headers">): number | undefined {
  const ms = retryAfterMs(response.headers["retry-after"]);
  return ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));
}

/** A failure to get an answer at all (connection refused, reset, timeout) after the retries. */
export function unreachable(service: string, error: unknown): VerityError {
  if (error instanceof VerityError) return error;
  const detail = error instanceof OutboundError ? error.message : `${service} could not be reached.`;
  const after = error instanceof CircuitOpenError ? Math.max(1, Math.ceil(error.retryAfterMs / 1000)) : undefined;
  return new VerityError("DIRECTORY_UNAVAILABLE", { message: detail, cause: error, ...(after === undefined ? {} : { retryAfterSeconds: after }) });
}

/** A throttled or failing upstream, once the outbound client's retries are spent. */
export function unavailableAfterRetries(service: string, response: OutboundResponse): VerityError {
  const after = retryAfterSeconds(response);
  const what = response.status === 429 ? "is throttling Verity" : `answered HTTP ${response.status}`;
  return new VerityError("DIRECTORY_UNAVAILABLE", {
    message: `${service} ${what} (after ${response.attempts} attempt(s)); try again${after === undefined ? " shortly" : ` in ${after} s`}.`,
    ...(after === undefined ? {} : { retryAfterSeconds: after }),
  });
}

/** The AADSTS number of a login error body, from `error_codes` or the description. */
export function aadstsCode(body: { error_codes?: number[] | undefined; error_description?: string | undefined }): number | undefined {
  const listed = body.error_codes?.[0];
  if (listed !== undefined) return listed;
  const match = /AADSTS(\d+)/.exec(body.error_description ?? "");
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The first line of Microsoft's description, without trace and correlation ids. */
function firstLine(description: string | undefined): string {
  const line = (description ?? "").split(/\r?\n/)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Turns a token-endpoint refusal into an error that tells an administrator what to fix. The
 * request's secret never appears: messages are built from the tenant, the app id and the
 * AADSTS code only (plus Microsoft's first line for codes not listed here).
 */
export function tokenRefusal(context: EntraErrorContext & { readonly scope: string }, response: OutboundResponse): VerityError {
  if (response.status === 429 || response.status >= 500) return unavailableAfterRetries("The Microsoft Entra token endpoint", response);
  const parsed = loginErrorSchema.safeParse(readJson(response.text));
  if (!parsed.success) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `The Microsoft Entra token endpoint refused Verity's request for tenant ${context.tenant} with HTTP ${response.status} and no readable error.`,
    });
  }
  const code = aadstsCode(parsed.data);
  const { tenant, clientId } = context;
  const app = `application ${clientId}`;
  const auth = (message: string) => new VerityError("UPSTREAM_AUTH_FAILED", { message, details: { aadsts: code, tenant } });
  switch (code) {
    case 90002:
      return new VerityError("TENANT_NOT_FOUND", {
        message: `Microsoft Entra has no tenant ${tenant} (AADSTS90002). Check the configured tenantId, and that loginUrl points at the cloud the tenant lives in.`,
        details: { aadsts: code, tenant },
      });
    case 700016:
      return auth(
        `Tenant ${tenant} has no service principal for ${app} (AADSTS700016): the app is not multi-tenant, or no administrator of that tenant has consented to it. A Global Administrator of the tenant grants consent at ${adminConsentUrl(context)}`,
      );
    case 65001:
      return auth(`${app} has not been granted admin consent in tenant ${tenant} (AADSTS65001). A Global Administrator of the tenant grants it at ${adminConsentUrl(context)}`);
    case 7000215:
      return auth(
        `Microsoft Entra rejected the client secret of ${app} for tenant ${tenant} (AADSTS7000215). Configure the secret's Value (shown once when it is created), not its Secret ID, and check it belongs to this app registration.`,
      );
    case 7000222:
      return auth(
        `The client secret of ${app} has expired (AADSTS7000222). Create a new secret (or better, upload a certificate) under Certificates & secrets in the app registration, and update Verity's configuration.`,
      );
    case 700027:
      return auth(
        `Microsoft Entra did not accept the certificate assertion of ${app} for tenant ${tenant} (AADSTS700027). Upload the configured certificate (public part only) under Certificates & secrets of the app registration and check the configured private key belongs to it; a newly uploaded certificate can take a few minutes to be accepted.`,
      );
    case 700024:
      return auth(`Microsoft Entra says Verity's client assertion is outside its validity period (AADSTS700024); check this server's clock.`);
    case 70011:
      return auth(
        `Microsoft Entra rejected the scope ${context.scope} (AADSTS70011). graphUrl must be the Microsoft Graph root of the tenant's cloud, such as https://graph.microsoft.com.`,
      );
    default:
      return auth(
        `Microsoft Entra refused a token for ${app} in tenant ${tenant} (${code === undefined ? parsed.data.error : `AADSTS${code}`}): ${firstLine(parsed.data.error_description)}`,
      );
  }
}
