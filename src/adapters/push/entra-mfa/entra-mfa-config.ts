import { z } from "zod";
import { baseUrl, checkCertificatePair, secretString, timeoutMs } from "../../../config/fields.js";

/** The first-party "Azure Multi-Factor Auth Client" app the NPS extension and AD FS adapter sign in as. */
export const MFA_CLIENT_APP_ID = "981f26a1-7f43-403b-a875-f8b09b8cd720";
export const DEFAULT_CONNECTOR_URL = "https://adnotifications.windowsazure.com/StrongAuthenticationService.svc/Connector";
/**
 * The host CIPP uses for passcodes: its code notes that the adnotifications host serves pushes
 * only (UNCONFIRMED by Microsoft). Used only while `connectorUrl` is the global default.
 */
export const DEFAULT_PASSCODE_CONNECTOR_URL = "https://strongauthenticationservice.auth.microsoft.com/StrongAuthenticationService.svc/Connector";

const guid = z.guid("a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47").transform((id) => id.toLowerCase());

const certificateCredential = z
  .strictObject({
    kind: z.literal("certificate"),
    /** PEM private key (PKCS#8 or PKCS#1) of the certificate registered on the MFA client's service principal. */
    privateKey: secretString,
    /** PEM X.509 certificate whose public part is registered on that service principal. */
    certificate: z.string().min(1),
    algorithm: z.enum(["RS256", "PS256"]).default("RS256"),
  })
  .superRefine((credential, ctx) => checkCertificatePair(credential, ctx));

/**
 * A short-lived secret an administrator added to the MFA client's service principal
 * (`Add-MgServicePrincipalPassword`). It expires; Verity never creates one itself.
 */
const secretCredential = z.strictObject({ kind: z.literal("secret"), secret: secretString });

/**
 * A `providers.<name>` block of kind `entra`: Microsoft Authenticator pushes and passcodes through
 * the Entra MFA "Connector" (StrongAuthenticationService) that the NPS extension and the AD FS
 * adapter use. The service is undocumented by Microsoft and may change without notice.
 *
 * @example
 * ```yaml
 * providers:
 *   contoso-authenticator:
 *     kind: entra
 *     tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47   # omit to resolve from the caller's UPN domain
 *     credential:
 *       kind: certificate
 *       privateKey: ${file:/run/secrets/verity-mfa.key}
 *       certificate: ${file:/etc/verity/verity-mfa.crt}
 * ```
 */
export const entraMfaConfigSchema = z.strictObject({
  kind: z.literal("entra"),
  /** Pins the Entra tenant; without it the tenant is resolved from each caller's UPN domain. */
  tenantId: guid.optional(),
  credential: z.discriminatedUnion("kind", [certificateCredential, secretCredential]),
  clientId: guid.default(MFA_CLIENT_APP_ID),
  loginUrl: baseUrl.default("https://login.microsoftonline.com"),
  connectorUrl: baseUrl.default(DEFAULT_CONNECTOR_URL),
  /** The token's `resource`; defaults to `connectorUrl` (they are the same string at Microsoft). */
  resource: z.url().optional(),
  /** Where passcodes are checked; see DEFAULT_PASSCODE_CONNECTOR_URL for the default. */
  passcodeConnectorUrl: baseUrl.optional(),
  /** async: start, then poll (resumable); sync: the start call blocks until the user answers. */
  mode: z.enum(["async", "sync"]).default("async"),
  /**
   * `PhoneAppNotification` asks for the Authenticator push explicitly (as CIPP does now);
   * `default` leaves the choice to the user's default method, as the NPS extension does.
   */
  pushMethod: z.enum(["PhoneAppNotification", "default"]).default("PhoneAppNotification"),
  lcid: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/i, "a language tag such as en-us")
    .default("en-us"),
  /** One call's time limit; a sync start waits at least 90 s regardless. */
  timeoutMs: timeoutMs.default(10_000),
});

export type EntraMfaConfig = z.output<typeof entraMfaConfigSchema>;
export type EntraMfaCredential = EntraMfaConfig["credential"];

/** The URLs one provider calls, all from configuration. */
export interface ConnectorEndpoints {
  readonly loginUrl: string;
  readonly connectorUrl: string;
  readonly passcodeConnectorUrl: string;
  readonly resource: string;
}

/** Resolves the optional URLs of a parsed configuration. */
export function connectorEndpoints(config: EntraMfaConfig): ConnectorEndpoints {
  const passcode = config.passcodeConnectorUrl ?? (config.connectorUrl === DEFAULT_CONNECTOR_URL ? DEFAULT_PASSCODE_CONNECTOR_URL : config.connectorUrl);
  return {
    loginUrl: config.loginUrl,
    connectorUrl: config.connectorUrl,
    passcodeConnectorUrl: passcode,
    resource: config.resource ?? config.connectorUrl,
  };
}
