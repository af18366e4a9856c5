import { isVerityError, VerityError } from "../../../domain/errors.js";

/**
 * The shared Okta client speaks for providers (PROVIDER_UNAVAILABLE, PROVIDER_ERROR); a directory
 * promises DIRECTORY_UNAVAILABLE and DIRECTORY_ERROR. Credential and permission failures stay
 * UPSTREAM_AUTH_FAILED with the administrator's fix; the message, wait and details are kept.
 */
export function asDirectoryError(error: unknown): unknown {
  if (!isVerityError(error)) return error;
  const code = error.code === "PROVIDER_UNAVAILABLE" ? "DIRECTORY_UNAVAILABLE" : error.code === "PROVIDER_ERROR" ? "DIRECTORY_ERROR" : undefined;
  if (code === undefined) return error;
  return new VerityError(code, {
    message: error.message,
    cause: error,
    details: error.details,
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
  });
}
