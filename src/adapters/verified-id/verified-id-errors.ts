import { VerityError } from "../../domain/errors.js";
import { parseJson } from "../http/json.js";
import { OutboundError, type OutboundResponse } from "../http/outbound.js";
import { retryAfterSeconds } from "../directory/entra/entra-errors.js";
import type { VerifiedIdConfig } from "./verified-id-config.js";
import { requestErrorSchema } from "./verified-id-schemas.js";

const SERVICE = "The Microsoft Entra Verified ID Request Service";

/** The Request Service's codes and target, never its whole body (it may quote the request). */
function errorDetails(response: OutboundResponse) {
  const body = parseJson(requestErrorSchema, response.text);
  const inner = body?.error.innererror;
  return {
    provider: "verified-id",
    httpStatus: response.status,
    ...(body === undefined ? {} : { code: body.error.code }),
    ...(inner?.code === undefined ? {} : { innerCode: inner.code }),
    ...(inner?.target === undefined ? {} : { target: inner.target.slice(0, 100) }),
    ...(body?.requestId === undefined ? {} : { requestId: body.requestId.slice(0, 100) }),
    innerMessage: inner?.message?.split(/\r?\n/)[0]?.slice(0, 300),
  };
}

/**
 * Maps a createPresentationRequest answer other than 201 (error-codes.md). 400 is a request the
 * service refused (a setting of this provider, said with the service's own field and reason);
 * 401 and 403 are the app registration, its permission or the tenant's Verified ID set-up; 429
 * (after the outbound client's Retry-After waits) and 5xx are retryable.
 */
export function createRefusal(response: OutboundResponse, config: VerifiedIdConfig): VerityError {
  const { innerMessage, ...details } = errorDetails(response);
  const why = innerMessage === undefined ? "" : ` It said: ${innerMessage}`;
  if (response.status === 429 || response.status >= 500) {
    const after = retryAfterSeconds(response);
    const what = response.status === 429 ? "is throttling Verity" : `answered HTTP ${response.status}`;
    return new VerityError("PROVIDER_UNAVAILABLE", {
      message: `${SERVICE} ${what} (after ${response.attempts} attempt(s)); no request reached the caller. Try again${after === undefined ? " shortly" : ` in ${after} s`}.`,
      retryAfterSeconds: after ?? 5,
      details,
    });
  }
  if (response.status === 401) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${SERVICE} did not accept Verity's token for tenant ${config.tenantId}; check that loginUrl and requestServiceUrl belong to the same cloud.${why}`,
      details,
    });
  }
  if (response.status === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `${SERVICE} refused application ${config.clientId}: it needs the application permission VerifiableCredential.Create.PresentRequest (Verifiable Credentials Service Request) with admin consent, and tenant ${config.tenantId} needs Verified ID set up, with the Face Check add-on enabled.${why}`,
      details,
    });
  }
  if (response.status === 400) {
    return new VerityError("PROVIDER_ERROR", {
      message: `${SERVICE} refused the presentation request${details.target === undefined ? "" : ` (field ${details.target})`}; check this provider's authority, acceptedIssuers, credentialType and server.publicUrl (the callback must be reachable from the internet).${why}`,
      details,
    });
  }
  return new VerityError("PROVIDER_ERROR", { message: `${SERVICE} answered HTTP ${response.status} to the presentation request.${why}`, details });
}

/** No answer at all: nothing reached the caller, whichever way it failed. */
export function createUnreachable(error: unknown): VerityError {
  if (error instanceof VerityError) return error;
  return new VerityError("PROVIDER_UNAVAILABLE", {
    message: `${error instanceof OutboundError ? error.message : `${SERVICE} could not be reached.`} Nothing reached the caller; try again shortly.`,
    cause: error,
    details: { provider: "verified-id" },
  });
}

/**
 * A token failure (entra-errors' codes) in this provider's words: the directory's "unavailable"
 * is this provider's, and a scope refusal is about the Request Service's resource, not Graph.
 */
export function tokenFailure(error: unknown, config: VerifiedIdConfig): unknown {
  if (!(error instanceof VerityError)) return error;
  if (error.code === "DIRECTORY_UNAVAILABLE") {
    return new VerityError("PROVIDER_UNAVAILABLE", { message: error.message, cause: error, ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }) });
  }
  const aadsts = typeof error.details === "object" && error.details !== null && "aadsts" in error.details ? error.details.aadsts : undefined;
  if (aadsts === 70011) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Microsoft Entra refused the scope of the Verified ID Request Service (AADSTS70011) for application ${config.clientId}. Add the API permission "Verifiable Credentials Service Request" (VerifiableCredential.Create.PresentRequest) and grant admin consent; check loginUrl.`,
      cause: error,
      details: error.details,
    });
  }
  if (error.code === "TENANT_NOT_FOUND" || error.code === "DIRECTORY_ERROR") return new VerityError("UPSTREAM_AUTH_FAILED", { message: error.message, cause: error });
  return error;
}
