import type { Logger } from "pino";
import { VerityError } from "../../domain/errors.js";
import { sameSecret, type IdentityProofingService, type PresentationSubject, type StartedPresentation } from "../../domain/face-check.js";
import type { Clock, ProbeResult } from "../../domain/ports.js";
import { parseJson } from "../http/json.js";
import { createOutboundClient, type OutboundResponse } from "../http/outbound.js";
import { probeWith } from "../shared/probe.js";
import { createSingleFlightCache } from "../shared/single-flight-cache.js";
import { tokenRefusal, unreachable } from "../directory/entra/entra-errors.js";
import { readTokenAnswer } from "../directory/entra/entra-schemas.js";
import { VERIFIED_ID_SCOPE, type VerifiedIdConfig } from "./verified-id-config.js";
import { createRefusal, createUnreachable, tokenFailure } from "./verified-id-errors.js";
import { createdSchema, readPresentationCallback } from "./verified-id-schemas.js";

export interface VerifiedIdDeps {
  /** The provider's name in the configuration, shown in logs. */
  readonly name: string;
  readonly clock: Clock;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Marks the demo's simulated Request Service as DEVELOPMENT ONLY. */
  readonly developmentOnly?: boolean;
}

/**
 * The body of `POST /v1.0/verifiableCredentials/createPresentationRequest` (PROVIDERS.md §11):
 * one credential of the configured type from the accepted issuers (never empty: an empty list
 * accepts any issuer), revoked credentials refused, the issuer's linked domain validated, Face
 * Check against the photo claim, and, where configured, a constraint asking the wallet for the
 * subject's own credential. No receipt (it cannot be combined with Face Check, and Verity keeps
 * no credential) and no QR image (Verity draws its own).
 */
export function presentationRequestBody(config: VerifiedIdConfig, input: { readonly state: string; readonly subject: PresentationSubject; readonly callbackUrl: string }): string {
  return JSON.stringify({
    authority: config.authority,
    includeQRCode: false,
    includeReceipt: false,
    registration: { clientName: config.clientName, purpose: config.purpose },
    callback: { url: input.callbackUrl, state: input.state, headers: { "api-key": config.callbackApiKey.reveal() } },
    requestedCredentials: [
      {
        type: config.credentialType,
        purpose: config.purpose,
        acceptedIssuers: config.acceptedIssuers,
        configuration: {
          validation: {
            allowRevoked: false,
            validateLinkedDomain: true,
            faceCheck: { sourcePhotoClaimName: config.photoClaim, matchConfidenceThreshold: config.matchConfidenceThreshold },
          },
        },
        ...(config.constrainToUser ? { constraints: [{ claimName: "revocationId", values: [input.subject.upn] }] } : {}),
      },
    ],
  });
}

/**
 * Microsoft Entra Verified ID's Request Service for one tenant: app-only tokens for the service's
 * resource (client credentials, cached until five minutes before expiry), presentation requests,
 * and the callbacks' reading and authentication. Creating a request has no effect on anyone until
 * the caller opens its link, so a 429 is waited out as Retry-After asks; a 401 fetches a fresh
 * token once.
 *
 * @example
 * ```ts
 * const vid = createVerifiedIdService(config, { name: "acme-faceid", clock, log });
 * const { url } = await vid.createPresentation({ state, subject: { upn }, callbackUrl });
 * ```
 */
export function createVerifiedIdService(config: VerifiedIdConfig, deps: VerifiedIdDeps): IdentityProofingService {
  const http = createOutboundClient({ name: "Microsoft Entra Verified ID", timeoutMs: config.timeoutMs, log: deps.log, now: () => deps.clock.now().getTime() });
  const cache = createSingleFlightCache<string>(deps.clock);
  const tokenEndpoint = `${config.loginUrl}/${config.tenantId}/oauth2/v2.0/token`;

  const fetchToken = async () => {
    let response: OutboundResponse;
    try {
      response = await http.request({
        method: "POST",
        url: tokenEndpoint,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: config.clientId, client_secret: config.clientSecret.reveal(), scope: VERIFIED_ID_SCOPE, grant_type: "client_credentials" }).toString(),
        retry: "idempotent",
      });
    } catch (error) {
      throw unreachable("The Microsoft Entra token endpoint", error);
    }
    if (response.status !== 200) throw tokenRefusal({ loginUrl: config.loginUrl, clientId: config.clientId, tenant: config.tenantId, scope: VERIFIED_ID_SCOPE }, response);
    const answer = readTokenAnswer(response.text);
    if (answer === undefined) throw new VerityError("DIRECTORY_UNAVAILABLE", { message: "The Microsoft Entra token endpoint returned an unreadable token response." });
    deps.log.debug({ provider: deps.name, expiresInSeconds: answer.expiresInSeconds }, "fetched a Verified ID Request Service token");
    return { ok: true as const, value: answer.value, ttlMs: answer.ttlMs };
  };

  const token = async (): Promise<string> => {
    try {
      return await cache.get(config.tenantId, fetchToken);
    } catch (error) {
      throw tokenFailure(error, config);
    }
  };

  const create = async (body: string): Promise<OutboundResponse> => {
    for (let attempt = 0; ; attempt += 1) {
      let response: OutboundResponse;
      try {
        response = await http.request({
          method: "POST",
          url: `${config.requestServiceUrl}/v1.0/verifiableCredentials/createPresentationRequest`,
          headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json" },
          body,
          retry: "not-sent-only",
        });
      } catch (error) {
        throw createUnreachable(error);
      }
      if (response.status === 401 && attempt === 0) {
        cache.delete(config.tenantId);
        continue;
      }
      return response;
    }
  };

  const apiKey = config.callbackApiKey.reveal();

  return {
    name: deps.name,
    developmentOnly: deps.developmentOnly ?? false,
    rules: { credentialType: config.credentialType, acceptedIssuers: config.acceptedIssuers, matchConfidenceThreshold: config.matchConfidenceThreshold },

    async createPresentation(input): Promise<StartedPresentation> {
      const response = await create(presentationRequestBody(config, input));
      if (response.status !== 201) {
        const refusal = createRefusal(response, config);
        deps.log.warn({ provider: deps.name, status: response.status, code: refusal.code, details: refusal.details }, "the Verified ID Request Service refused a presentation request");
        throw refusal;
      }
      const created = parseJson(createdSchema, response.text);
      // The link becomes a button on the caller's page: only the wallet's own scheme is shown.
      if (created === undefined || !created.url.startsWith("openid-vc://")) {
        throw new VerityError("PROVIDER_ERROR", { message: "The Verified ID Request Service answered 201 without a readable requestId, openid-vc:// url and expiry.", details: { provider: "verified-id" } });
      }
      deps.log.debug({ provider: deps.name, requestId: created.requestId }, "created a Verified ID presentation request");
      return { requestId: created.requestId, url: created.url, expiresAt: new Date(created.expiry * 1000).toISOString() };
    },

    authenticateCallback(headers) {
      const given = headers["api-key"];
      return typeof given === "string" && sameSecret(given, apiKey);
    },

    readCallback: readPresentationCallback,

    probe: () => probeVerifiedId(config, token),
    close: () => http.close(),
  };
}

/** A token for the Request Service's resource proves the app, its secret and its permission. Nothing is created. */
function probeVerifiedId(config: VerifiedIdConfig, token: () => Promise<string>): Promise<ProbeResult> {
  return probeWith(async () => {
    await token();
    return `Microsoft Entra issued application ${config.clientId} a token for the Verified ID Request Service in tenant ${config.tenantId}. Whether Verified ID and the Face Check add-on are set up is not tested: no presentation request was created.`;
  });
}
