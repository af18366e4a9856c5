import type { Logger } from "pino";
import type * as Oidc from "openid-client";
import { z } from "zod";
import type { Secret } from "../../config/secret.js";
import { VerityError, type ErrorCode } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createOutboundClient, type OutboundClient } from "../http/outbound.js";
import { createSingleFlightCache, type SingleFlightCache } from "../shared/single-flight-cache.js";
import { libraryFetch } from "./sso-fetch.js";

// Loaded at the first sign-in: the CLI and servers without single sign-on never load it.
let library: Promise<typeof Oidc> | undefined;
/** openid-client, imported on first use. */
export const openidClient = (): Promise<typeof Oidc> => (library ??= import("openid-client"));

const DISCOVERY_TTL_MS = 3600_000;
/**
 * Key sets are kept by openid-client between sign-ins (exported and re-imported per Configuration);
 * this short single-flight window only folds together the fetches of sign-ins that start at once,
 * so a rotated key is picked up within seconds.
 */
const JWKS_TTL_MS = 30_000;
const discoveryShape = z.looseObject({ issuer: z.string(), authorization_endpoint: z.string(), token_endpoint: z.string(), jwks_uri: z.string() });

/** Where OIDC discovery lives for an issuer (the same rule openid-client applies). */
export function wellKnown(issuer: string): string {
  const url = new URL(issuer);
  url.pathname = `${url.pathname}/.well-known/openid-configuration`.replace("//", "/");
  return url.href;
}

/** One OpenID provider as Verity's client there sees it. */
export interface RelyingPartyOptions {
  /** Names the provider in errors and logs. */
  readonly name: string;
  /** The issuer openid-client must find in the metadata and in every ID token, exactly. */
  readonly issuer: string;
  /** Where the metadata is fetched (may differ from the issuer's own well-known URL: a proxy, a local fake). */
  readonly document: string;
  readonly clientId: string;
  readonly clientSecret: Secret;
  readonly authMethod: "client_secret_basic" | "client_secret_post";
  readonly timeoutSeconds: number;
}

/** The error raised when the provider's metadata cannot be had (the caller's own unavailable code). */
export type UnavailableCode = Extract<ErrorCode, "SSO_UNAVAILABLE" | "CALLER_SIGNIN_UNAVAILABLE">;

export interface RelyingParty {
  /** A Configuration for one flow: cached metadata, the remembered keys, Verity's clock for time checks. */
  configuration(oidc: typeof Oidc): Promise<Oidc.Configuration>;
  /** Keeps the keys a finished flow fetched, for the next flow's Configuration. */
  remember(oidc: typeof Oidc, built: Oidc.Configuration): void;
  readonly outbound: OutboundClient;
  close(): Promise<void>;
}

/**
 * The pieces technician single sign-on (sso-client.ts) and caller sign-in verification
 * (adapters/signin) share: metadata fetched once per hour through Verity's outbound client and
 * single-flight cache, key-set fetches folded together, and a Configuration rebuilt per flow so
 * openid-client's exp/nbf/iat checks use the injected clock (its clockSkew is that clock's
 * distance from the system's, zero in production).
 */
export function createRelyingParty(
  options: RelyingPartyOptions,
  deps: { clock: Clock; log?: Pick<Logger, "warn" | "debug">; unavailable?: UnavailableCode; outbound?: OutboundClient },
): RelyingParty {
  const unavailable = deps.unavailable ?? "SSO_UNAVAILABLE";
  const outbound =
    deps.outbound ??
    createOutboundClient({ name: `the identity provider ${options.name}`, timeoutMs: options.timeoutSeconds * 1000, maxRetries: 1, now: () => deps.clock.now().getTime(), ...(deps.log === undefined ? {} : { log: deps.log }) });
  const discovery: SingleFlightCache<string> = createSingleFlightCache<string>(deps.clock, 1);
  const keySets: SingleFlightCache<string> = createSingleFlightCache<string>(deps.clock, 4);
  let keys: Oidc.ExportedJWKSCache | undefined;

  const loadDocument = async () => {
    const answer = await outbound.request({ method: "GET", url: options.document, headers: { accept: "application/json" }, retry: "idempotent" });
    if (answer.status !== 200) throw new VerityError(unavailable, { details: { reason: `discovery at ${options.document} answered ${answer.status}` } });
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    if (!discoveryShape.safeParse(parsed).success) throw new VerityError(unavailable, { details: { reason: `discovery at ${options.document} is not an OpenID provider's metadata` } });
    return { ok: true as const, value: answer.text, ttlMs: DISCOVERY_TTL_MS };
  };

  const keySet = {
    get: (url: string, fetchOnce: () => Promise<Response>) =>
      keySets.get(url, async () => {
        const response = await fetchOnce();
        // Only a good answer is shared; libraryFetch hands a failed one to openid-client as it came.
        if (response.status !== 200) throw new VerityError(unavailable, { details: { reason: `the key set at ${url} answered ${response.status}` } });
        return { ok: true as const, value: await response.text(), ttlMs: JWKS_TTL_MS };
      }),
  };

  return {
    outbound,
    async configuration(oidc) {
      const body = await discovery.get("document", loadDocument);
      const secret = options.clientSecret.reveal();
      const skew = Math.round((deps.clock.now().getTime() - Date.now()) / 1000);
      const jwksUri = (JSON.parse(body) as { jwks_uri: string }).jwks_uri;
      const built = await oidc.discovery(
        new URL(options.issuer),
        options.clientId,
        { [oidc.clockSkew]: skew },
        options.authMethod === "client_secret_post" ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret),
        {
          [oidc.customFetch]: libraryFetch(outbound, { url: wellKnown(options.issuer), body }, { url: jwksUri, ...keySet }),
          timeout: options.timeoutSeconds,
          // The ID token's signature is checked against the provider's JWKS, not taken on TLS's word.
          execute: [oidc.enableNonRepudiationChecks, ...(options.document.startsWith("http://") ? [oidc.allowInsecureRequests] : [])],
        },
      );
      if (keys !== undefined) oidc.setJwksCache(built, keys);
      return built;
    },
    remember(oidc, built) {
      keys = oidc.getJwksCache(built) ?? keys;
    },
    close: () => outbound.close(),
  };
}
