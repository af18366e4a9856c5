import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, DirectoryUser, PasscodeRequest, ProviderUserInfo, PushProvider, PushRequest, PushStarted, PushStatus } from "../../../domain/ports.js";
import { createOutboundClient } from "../../http/outbound.js";
import { createConnectorClient, type ConnectorCall } from "./connector-client.js";
import { classify, resultText, WRONG_PASSCODE_RESULTS, type ConnectorVerdict } from "./connector-results.js";
import { createConnectorTokens } from "./connector-token.js";
import { beginRequestXml, endRequestXml, type ConnectorResponse } from "./connector-xml.js";
import { connectorEndpoints, type EntraMfaConfig } from "./entra-mfa-config.js";
import { CONNECTOR_SERVICE } from "./entra-mfa-errors.js";
import { probeEntraMfa } from "./entra-mfa-probe.js";
import { connectorUpn, createConnectorTenants } from "./entra-mfa-tenants.js";
import { AFFINITY, decodeRef, encodeRef, type SessionRef } from "./transaction-ref.js";

export interface EntraMfaPushDeps {
  readonly name: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
  /**
   * The user's Microsoft Authenticator registrations, when the tenant's directory can list them
   * (main.ts can pass `EntraDirectory.authenticatorMethods`); `undefined` when no directory can
   * say for this user. Without an answer, `describeUser` cannot say in advance and the connector
   * decides when the push starts.
   */
  readonly authenticatorMethods?: (user: DirectoryUser) => Promise<readonly { readonly displayName: string | null }[] | undefined>;
}

export type EntraMfaPushProvider = PushProvider & { close(): Promise<void> };

const POLL_INTERVAL_MS = 750;
const POLL_RETRY_SECONDS = 5;
const SESSION_ID = /^[A-Za-z0-9-]{1,200}$/;
const PASSCODE = /^\d{6,8}$/;
const SYNC_MIN_WAIT_MS = 90_000;
const SYNC_MAX_WAIT_MS = 300_000;

/**
 * Microsoft Authenticator pushes and passcodes through the Entra MFA "Connector"
 * (StrongAuthenticationService), the undocumented service behind the NPS extension and the AD FS
 * adapter. It may change or break without notice.
 *
 * - `startPush` sends BeginTwoWayAuthentication. In `async` mode (the default) it returns at once
 *   with the session, which `pollPush` follows with EndTwoWayAuthentication; the reference holds
 *   the tenant, UPN, session and context ids, so polling resumes after a restart. In `sync` mode
 *   the call blocks until the user answers (at least 90 s allowed), nothing can resume it, and no
 *   number can be shown to the caller before they answer.
 * - Approval needs `AuthenticationResult` true and `Result/Value` Success together; every error
 *   rejects or reports a non-approval.
 * - `cancelPush` does nothing: the connector has no cancel, so the notification stays on the
 *   phone until Microsoft times it out; Verity simply stops polling.
 * - `checkPasscode` (the Authenticator's six-digit code) starts a PhoneAppOTP session and ends it
 *   with the code in AdditionalAuthData, as the AD FS adapter does (field use UNCONFIRMED).
 *
 * @example
 * ```ts
 * const provider = createEntraMfaPushProvider(entraMfaConfigSchema.parse(block), { name: "contoso-authenticator", clock, log });
 * const { transactionRef } = await provider.startPush(request);
 * const status = await provider.pollPush(transactionRef); // waiting → approved / denied / fraud / timeout
 * ```
 */
export function createEntraMfaPushProvider(config: EntraMfaConfig, deps: EntraMfaPushDeps): EntraMfaPushProvider {
  const endpoints = connectorEndpoints(config);
  const http = createOutboundClient({ name: "Microsoft Entra MFA", timeoutMs: config.timeoutMs, log: deps.log, now: () => deps.clock.now().getTime() });
  const tokens = createConnectorTokens({
    http,
    loginUrl: endpoints.loginUrl,
    resource: endpoints.resource,
    clientId: config.clientId,
    credential: config.credential,
    clock: deps.clock,
    log: deps.log,
  });
  const connector = createConnectorClient({ http, tokens });
  let closing: Promise<void> | undefined;
  const tenants = createConnectorTenants({ pinned: config.tenantId, http, loginUrl: endpoints.loginUrl, clock: deps.clock, log: deps.log });

  /** The `dc` of an AffinityUrl that points at this very connector; any other URL is ignored, never followed. */
  const affinityOf = (response: ConnectorResponse, baseUrl: string): string | undefined => {
    if (response.affinityUrl === null) return undefined;
    try {
      const url = new URL(response.affinityUrl);
      const expected = new URL(`${baseUrl}/EndTwoWayAuthentication`);
      const dc = url.searchParams.get("dc");
      const samePlace = url.origin === expected.origin && url.pathname.toLowerCase() === expected.pathname.toLowerCase();
      if (samePlace && dc !== null && AFFINITY.test(dc) && [...url.searchParams.keys()].length === 1) return dc;
    } catch {
      // An unreadable AffinityUrl only costs the affinity.
    }
    deps.log.debug({ provider: deps.name }, "ignored an AffinityUrl outside the configured connector");
    return undefined;
  };

  const echoCheck = (response: ConnectorResponse, upn: string) => {
    if (response.upn !== null && response.upn !== "" && response.upn.toLowerCase() !== upn.toLowerCase()) {
      throw new VerityError("PROVIDER_ERROR", { message: `${CONNECTOR_SERVICE} answered for another user than the one asked about.` });
    }
  };

  const fail = (verdict: Extract<ConnectorVerdict, { kind: "refused" | "retry" }>): VerityError =>
    verdict.kind === "refused"
      ? new VerityError(verdict.code, { message: verdict.detail })
      : new VerityError("PROVIDER_UNAVAILABLE", {
          message: verdict.detail,
          ...(verdict.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: verdict.retryAfterSeconds }),
        });

  const begin = async (upn: string, tenant: string, options: { methodId?: "PhoneAppNotification" | "PhoneAppOTP"; sync: boolean; baseUrl: string; timeoutMs?: number }) => {
    const contextId = randomUUID();
    const xml = beginRequestXml({ upn, lcid: config.lcid, contextId, syncCall: options.sync, ...(options.methodId === undefined ? {} : { methodId: options.methodId }) });
    const call: ConnectorCall = {
      tenant,
      operation: "BeginTwoWayAuthentication",
      baseUrl: options.baseUrl,
      xml,
      retry: "not-sent-only",
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    };
    const response = await connector.call(call);
    echoCheck(response, upn);
    return { response, contextId, verdict: classify(response, { upn, tenant }) };
  };

  const sessionOf = (response: ConnectorResponse, base: Omit<SessionRef, "kind" | "sessionId" | "dc">, baseUrl: string): SessionRef => {
    const sessionId = response.sessionId;
    if (sessionId === null || !SESSION_ID.test(sessionId)) {
      throw new VerityError("PROVIDER_ERROR", { message: `${CONNECTOR_SERVICE} accepted the request but returned no usable SessionId (${resultText(response)}).` });
    }
    const dc = affinityOf(response, baseUrl);
    return { kind: "session", ...base, sessionId, ...(dc === undefined ? {} : { dc }) };
  };

  const end = (session: SessionRef, baseUrl: string, additionalAuthData?: string) =>
    connector.call({
      tenant: session.tenant,
      operation: "EndTwoWayAuthentication",
      baseUrl,
      ...(session.dc === undefined ? {} : { query: `?dc=${encodeURIComponent(session.dc)}` }),
      xml: endRequestXml({ sessionId: session.sessionId, contextId: session.contextId, upn: session.upn, ...(additionalAuthData === undefined ? {} : { additionalAuthData }) }),
      // A poll only reads; a passcode check spends the code, so an ambiguous failure is never repeated.
      retry: additionalAuthData === undefined ? "not-sent-only" : "none",
    });

  return {
    name: deps.name,
    kind: "entra",
    developmentOnly: false,
    pollIntervalMs: POLL_INTERVAL_MS,

    async startPush(request: PushRequest): Promise<PushStarted> {
      const upn = connectorUpn(request.providerUserId);
      const tenant = await tenants.tenantOf(upn);
      const sync = config.mode === "sync";
      const waitMs = Math.min(SYNC_MAX_WAIT_MS, Math.max(SYNC_MIN_WAIT_MS, request.timeoutSeconds * 1000 + 5000));
      const { response, contextId, verdict } = await begin(upn, tenant, {
        sync,
        baseUrl: endpoints.connectorUrl,
        ...(config.pushMethod === "default" ? {} : { methodId: "PhoneAppNotification" as const }),
        ...(sync ? { timeoutMs: waitMs } : {}),
      });
      deps.log.debug({ provider: deps.name, tenant, mode: config.mode, result: response.result.value }, "Entra MFA connector answered BeginTwoWayAuthentication");
      switch (verdict.kind) {
        case "approved":
          return { transactionRef: encodeRef({ kind: "resolved", outcome: "approved", detail: "Approved in Microsoft Authenticator (Success)." }) };
        case "answered":
          return { transactionRef: encodeRef({ kind: "resolved", outcome: verdict.outcome, detail: verdict.detail }) };
        case "refused":
        case "retry":
          throw fail(verdict);
        case "pending": {
          const session = sessionOf(response, { tenant, upn, contextId }, endpoints.connectorUrl);
          const entropy = response.validEntropyNumber;
          return { transactionRef: encodeRef(session), ...(entropy !== null && entropy > 0 ? { numberChallenge: String(entropy) } : {}) };
        }
      }
    },

    async pollPush(transactionRef: string): Promise<PushStatus> {
      const ref = decodeRef(transactionRef);
      if (ref.kind === "resolved") return { outcome: ref.outcome, ...(ref.detail === undefined ? {} : { detail: ref.detail }) };
      const verdict = classify(await end(ref, endpoints.connectorUrl), { upn: ref.upn, tenant: ref.tenant });
      switch (verdict.kind) {
        case "approved":
          return { outcome: "approved", detail: "Approved in Microsoft Authenticator (Success)." };
        case "pending":
          return { outcome: "waiting" };
        case "answered":
          return { outcome: verdict.outcome, detail: verdict.detail };
        case "refused":
          // An answer the connector will never change: the push failed (nobody denied it), with what to fix.
          if (verdict.code !== "PROVIDER_ERROR") return { outcome: "failed", detail: verdict.detail };
          throw fail(verdict);
        case "retry":
          // The push itself is out and times out in about a minute: poll again soon, not after the start's wait.
          throw fail({ ...verdict, retryAfterSeconds: Math.min(verdict.retryAfterSeconds ?? POLL_RETRY_SECONDS, POLL_RETRY_SECONDS) });
      }
    },

    cancelPush(): Promise<void> {
      deps.log.debug({ provider: deps.name }, "the Entra MFA connector has no cancel; polling stops and the notification times out at Microsoft");
      return Promise.resolve();
    },

    async checkPasscode(request: PasscodeRequest) {
      if (!PASSCODE.test(request.passcode)) throw new VerityError("VALIDATION_FAILED", { message: "A Microsoft Authenticator code is 6 to 8 digits." });
      const upn = connectorUpn(request.providerUserId);
      const tenant = await tenants.tenantOf(upn);
      const baseUrl = endpoints.passcodeConnectorUrl;
      const started = await begin(upn, tenant, { methodId: "PhoneAppOTP", sync: false, baseUrl });
      if (started.verdict.kind === "refused" || started.verdict.kind === "retry") throw fail(started.verdict);
      if (started.verdict.kind !== "pending") {
        throw new VerityError("PROVIDER_ERROR", { message: `${CONNECTOR_SERVICE} answered a passcode session's start with ${resultText(started.response)}.` });
      }
      const session = sessionOf(started.response, { tenant, upn, contextId: started.contextId }, baseUrl);
      const answer = await end(session, baseUrl, request.passcode);
      if (WRONG_PASSCODE_RESULTS.has(answer.result.value) && answer.authenticationResult !== true) {
        return { valid: false, detail: `Microsoft did not accept the code (${answer.result.value}).` };
      }
      const verdict = classify(answer, { upn, tenant });
      switch (verdict.kind) {
        case "approved":
          return { valid: true, detail: "Microsoft Authenticator code accepted (Success)." };
        case "answered":
          return { valid: false, detail: verdict.detail };
        case "pending":
          throw new VerityError("PROVIDER_ERROR", { message: `${CONNECTOR_SERVICE} neither accepted nor refused the code (${resultText(answer)}).` });
        default:
          throw fail(verdict);
      }
    },

    async describeUser({ user }): Promise<ProviderUserInfo> {
      const unknown: ProviderUserInfo = {
        exists: true,
        push: true,
        passcode: true,
        devices: [],
        detail: "The Entra MFA connector cannot list a user's methods in advance; it reports a missing Authenticator when the push starts.",
      };
      if (deps.authenticatorMethods === undefined) return unknown;
      let methods: readonly { readonly displayName: string | null }[] | undefined;
      try {
        methods = await deps.authenticatorMethods(user);
      } catch (error) {
        deps.log.warn({ provider: deps.name, code: (error as { code?: unknown }).code }, "could not list Authenticator registrations; the connector will decide");
        return unknown;
      }
      if (methods === undefined) return unknown;
      if (methods.length === 0) {
        return { exists: true, push: false, passcode: false, devices: [], detail: `${user.displayName} has no Microsoft Authenticator registered in Entra ID.` };
      }
      return { exists: true, push: true, passcode: true, devices: methods.map((m) => m.displayName ?? "Microsoft Authenticator"), detail: null };
    },

    probe: () => probeEntraMfa({ tenantId: config.tenantId, tokens, http, loginUrl: endpoints.loginUrl, clientId: config.clientId }),

    close() {
      closing ??= http.close();
      return closing;
    },
  };
}
