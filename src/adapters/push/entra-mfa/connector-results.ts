import type { ErrorCode } from "../../../domain/errors.js";
import type { ConnectorResponse } from "./connector-xml.js";

/**
 * What one connector answer means for Verity.
 * - `approved`: `AuthenticationResult` true and `Result/Value` Success, both; nothing else approves.
 * - `pending`: ask again.
 * - `answered`: the user (or Microsoft's own timer) ended the push without approving it.
 * - `refused`: the push cannot happen for this user or tenant; retrying will not help.
 * - `retry`: throttling or a fault at Microsoft; the same call may work later.
 */
export type ConnectorVerdict =
  | { readonly kind: "approved" }
  | { readonly kind: "pending" }
  | { readonly kind: "answered"; readonly outcome: "denied" | "fraud" | "timeout"; readonly detail: string }
  | { readonly kind: "refused"; readonly code: Extract<ErrorCode, "NO_USABLE_FACTOR" | "UPSTREAM_AUTH_FAILED" | "PROVIDER_ERROR">; readonly detail: string }
  | { readonly kind: "retry"; readonly detail: string; readonly retryAfterSeconds?: number };

const SECURITY_INFO = "https://aka.ms/mysecurityinfo";

const ANSWERS: Readonly<Record<string, { outcome: "denied" | "fraud" | "timeout"; text: string }>> = {
  PhoneAppDenied: { outcome: "denied", text: "The caller denied the request in Microsoft Authenticator." },
  PhoneAppEntropyIncorrect: { outcome: "denied", text: "The caller chose the wrong number in Microsoft Authenticator." },
  // Microsoft's sign-in page and MFA logs say PhoneAppFraudReported; one reimplementation says PhoneAppFraud.
  PhoneAppFraudReported: { outcome: "fraud", text: "The caller reported the request as fraud in Microsoft Authenticator." },
  PhoneAppFraud: { outcome: "fraud", text: "The caller reported the request as fraud in Microsoft Authenticator." },
  FraudCodeEntered: { outcome: "fraud", text: "The caller reported fraud (fraud code entered)." },
  PhoneAppNoResponse: { outcome: "timeout", text: "Nobody answered the Microsoft Authenticator notification before Microsoft's time limit." },
  InvalidSession: { outcome: "timeout", text: "The MFA session expired or is unknown (Microsoft ends sessions after about three minutes)." },
};

/** Results that mean the push cannot be made, with what an administrator or the user should do. */
function refusal(value: string, upn: string, tenant: string): Omit<Extract<ConnectorVerdict, { kind: "refused" }>, "kind"> | undefined {
  const factor = (detail: string) => ({ code: "NO_USABLE_FACTOR" as const, detail });
  const auth = (detail: string) => ({ code: "UPSTREAM_AUTH_FAILED" as const, detail });
  switch (value) {
    case "AuthenticationMethodNotConfigured":
      return factor(`${upn} has no Microsoft Authenticator registered for this kind of sign-in in Entra ID. Have them add the app at ${SECURITY_INFO}.`);
    case "NoDefaultAuthenticationMethodIsConfigured":
      return factor(
        `${upn} has no default sign-in method in Entra ID, so the connector has nothing to send (push is not this user's default method). Have them make "Microsoft Authenticator – notification" their default at ${SECURITY_INFO}.`,
      );
    case "ProofDataNotFound":
      return factor(`Entra ID holds no usable Authenticator registration for ${upn} (ProofDataNotFound). Have them remove and add the app again at ${SECURITY_INFO}.`);
    case "PhoneAppAllDevicesBlocked":
      return factor(`Every Authenticator device of ${upn} stopped answering notifications and Microsoft blocked them. Have them re-register the app at ${SECURITY_INFO}.`);
    case "PhoneAppNotificationFailed":
      return factor(`Microsoft could not deliver the notification to ${upn}'s Authenticator app. Have them open the app, check notifications are allowed, or re-register it.`);
    case "UserIsBlocked":
      return factor(`${upn} is blocked for MFA in Entra ID (a fraud report or an administrator's block). An administrator can unblock them under Entra ID → Multifactor authentication → Block/unblock users.`);
    case "BecAccessDenied":
    case "UserNotFound":
      return factor(
        `The MFA service does not know ${upn} in tenant ${tenant} (${value}). Check the method's userId rule maps to the user's Entra UPN, that the account is synced to Entra ID, and that the tenant is active.`,
      );
    case "AccessDenied":
      return auth(
        `The MFA service refused tenant ${tenant} access to ${upn} (AccessDenied): the UPN's domain belongs to another tenant. Pin the right tenantId for this provider or check the UPN.`,
      );
    case "TenantIsBlocked":
      return auth(`Microsoft has blocked MFA for tenant ${tenant} (TenantIsBlocked). Contact Microsoft support with the tenant id.`);
    default:
      return undefined;
  }
}

const RETRYABLE: Readonly<Record<string, string>> = {
  AuthenticationThrottled: "Microsoft is throttling MFA requests for this user (AuthenticationThrottled); wait a few minutes before another push.",
  AuthenticationMethodLimitReached: "Microsoft limits repeated requests with this method for this user (AuthenticationMethodLimitReached); wait a few minutes.",
  UserAuthFailedDuplicateRequest: "Microsoft is already processing an MFA request for this user (UserAuthFailedDuplicateRequest); try again shortly.",
  InternalError: "The MFA service had an internal error (InternalError); try again shortly.",
};

/** Passcode results that mean "that code is not right" (MFA logs and the NPS error page). */
export const WRONG_PASSCODE_RESULTS: ReadonlySet<string> = new Set([
  "OathCodeIncorrect",
  "OathCodeDuplicate",
  "OathCodeOld",
  "IncorrectOTP",
  "OathCodeFailedMaxAllowedRetryReached",
  "OathCodeCorrectButDeviceNotAllowed",
]);

/** Microsoft's own wording, bounded and stripped of control characters, for details. */
export function resultText(response: ConnectorResponse): string {
  const message = (response.result.message ?? "").replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  const bounded = message.length > 200 ? `${message.slice(0, 200)}…` : message;
  return bounded === "" ? response.result.value : `${response.result.value}: ${bounded}`;
}

/**
 * Classifies a connector response. Approval needs both `AuthenticationResult` true and
 * `Result/Value` Success; a response that claims one without the other is `refused` as a
 * PROVIDER_ERROR, never approved.
 */
export function classify(response: ConnectorResponse, context: { readonly upn: string; readonly tenant: string }): ConnectorVerdict {
  const value = response.result.value;
  if (value === "Success" && response.authenticationResult === true) return { kind: "approved" };
  if (value === "AuthenticationPending") return { kind: "pending" };
  if (response.authenticationResult === true) {
    return { kind: "refused", code: "PROVIDER_ERROR", detail: `The MFA service answered AuthenticationResult true with ${value}; Verity does not take that as approval.` };
  }
  const answer = ANSWERS[value];
  if (answer !== undefined) return { kind: "answered", outcome: answer.outcome, detail: `${answer.text} (${value})` };
  const refused = refusal(value, context.upn, context.tenant);
  if (refused !== undefined) return { kind: "refused", ...refused };
  const retry = RETRYABLE[value];
  if (retry !== undefined) return { kind: "retry", detail: retry, ...(value === "InternalError" ? {} : { retryAfterSeconds: 60 }) };
  if (value === "Success") return { kind: "pending" };
  return { kind: "refused", code: "PROVIDER_ERROR", detail: `The MFA service refused the request (${resultText(response)}).` };
}
