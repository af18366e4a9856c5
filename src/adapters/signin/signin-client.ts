import type { Logger } from "pino";
import type * as Oidc from "openid-client";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createOutboundClient } from "../http/outbound.js";
import { createSingleFlightCache } from "../shared/single-flight-cache.js";
import { createRelyingParty, openidClient, wellKnown, type RelyingParty } from "../sso/oidc-relying-party.js";
import type { SigninProviderConfig } from "./signin-config.js";
import { signinFailure } from "./signin-errors.js";
import type { SigninAsk, SigninProvider, SigninTenant } from "../../domain/signin.js";
import { evaluateSignin, signinRejected } from "./signin-evidence.js";

export type { SigninEvidence, SigninExpectation, SigninFlow, SigninProvider, SigninReason, SigninTenant } from "../../domain/signin.js";

/** One configured sign-in service (its kind is the configuration's). */
export interface SigninService extends SigninProvider {
  readonly kind: SigninProviderConfig["kind"];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** Microsoft's tenant of personal accounts (PROVIDERS.md §10.1). */
const PERSONAL_ACCOUNTS = "9188040d-6c67-4c5b-b112-36a304b66dad";
/** Parties kept for this many Entra tenants (one per caller's tenant; discovery per tenant). */
const MAX_TENANTS = 500;
/** A state is remembered as spent for longer than any flow lives (the link's 10 minutes). */
const SPENT_STATE_MS = 30 * 60_000;

export function createSigninService(config: SigninProviderConfig & { readonly name: string }, deps: { clock: Clock; log?: Pick<Logger, "warn" | "debug"> }): SigninService {
  const outbound = createOutboundClient({ name: `the identity provider ${config.name}`, timeoutMs: config.timeoutSeconds * 1000, maxRetries: 1, now: () => deps.clock.now().getTime(), ...(deps.log === undefined ? {} : { log: deps.log }) });
  const parties = new Map<string, RelyingParty>();
  const spent = new Map<string, number>();

  /**
   * Where a flow's provider is: Entra's issuer and metadata are the caller's own tenant's (the
   * metadata under `loginUrl`); Okta's the configured issuer. Undefined for a flow of the other
   * protocol, which is a mix-up.
   */
  const endpointsOf = (ask: SigninAsk): { issuer: string; document: string } | undefined => {
    if (config.kind === "entra-signin") {
      return ask.protocol !== "entra" ? undefined : { issuer: `${config.issuerBase}/${ask.tenantId}/v2.0`, document: `${config.loginUrl}/${ask.tenantId}/v2.0/.well-known/openid-configuration` };
    }
    return ask.protocol !== "okta" ? undefined : { issuer: config.issuer, document: wellKnown(config.issuer) };
  };

  const partyFor = (endpoints: { issuer: string; document: string }): RelyingParty => {
    const known = parties.get(endpoints.issuer);
    if (known !== undefined) return known;
    if (parties.size >= MAX_TENANTS) parties.delete(parties.keys().next().value as string);
    const party = createRelyingParty(
      {
        ...endpoints,
        name: config.name,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        authMethod: config.kind === "entra-signin" ? "client_secret_post" : config.clientAuthMethod,
        timeoutSeconds: config.timeoutSeconds,
      },
      { clock: deps.clock, outbound, unavailable: "CALLER_SIGNIN_UNAVAILABLE", ...(deps.log === undefined ? {} : { log: deps.log }) },
    );
    parties.set(endpoints.issuer, party);
    return party;
  };

  const tenantsByDomain = createSingleFlightCache<string>(deps.clock, 1000);
  /**
   * The Entra tenant that owns a domain, from Microsoft's public metadata for it
   * (`{loginUrl}/{domain}/v2.0/.well-known/openid-configuration`: the issuer names the tenant's
   * GUID; an unknown domain answers 400). Personal Microsoft accounts are never a caller's tenant.
   */
  const tenantOfDomain = (domain: string) =>
    tenantsByDomain.get(domain, async () => {
      const notOwned = (reason: string) => ({ ok: false as const, error: new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason } }), ttlMs: 300_000 });
      if (config.kind !== "entra-signin") return notOwned("not an Entra sign-in service");
      const url = `${config.loginUrl}/${encodeURIComponent(domain)}/v2.0/.well-known/openid-configuration`;
      const answer = await outbound.request({ method: "GET", url, headers: { accept: "application/json" }, retry: "idempotent" });
      if (answer.status === 400 || answer.status === 404) return notOwned(`no Entra tenant owns the domain ${domain}`);
      if (answer.status !== 200) throw new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason: `tenant discovery for ${domain} answered ${answer.status}` } });
      let issuer: unknown;
      try {
        issuer = (JSON.parse(answer.text) as { issuer?: unknown }).issuer;
      } catch {
        issuer = undefined;
      }
      const tid = typeof issuer === "string" && issuer.startsWith(`${config.issuerBase}/`) ? issuer.slice(config.issuerBase.length + 1).split("/")[0]?.toLowerCase() : undefined;
      if (tid === undefined || !GUID.test(tid)) throw new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason: `tenant discovery for ${domain} named no tenant` } });
      if (tid === PERSONAL_ACCOUNTS) return notOwned(`${domain} is a personal Microsoft account domain`);
      return { ok: true as const, value: tid, ttlMs: 3600_000 };
    });

  const askFor = async (tenant: SigninTenant, loginHint: string): Promise<SigninAsk> => {
    if (config.kind !== "entra-signin") return { protocol: "okta", acrValues: config.acrValues };
    const unavailable = (reason: string) => new VerityError("CALLER_SIGNIN_UNAVAILABLE", { message: "Sign-in verification is not set up for this organisation.", details: { reason } });
    if (tenant.authContext === undefined) throw unavailable("the tenant has no authentication context (signIn.authContext)");
    if (tenant.entraTenantId !== undefined) return { protocol: "entra", tenantId: tenant.entraTenantId.toLowerCase(), authContext: tenant.authContext };
    const domain = loginHint.split("@")[1]?.toLowerCase();
    if (tenant.entraTenantFromUpn !== true || domain === undefined || !DOMAIN.test(domain)) throw unavailable("the tenant has no Entra tenant id (signIn.entraTenantId)");
    return { protocol: "entra", tenantId: await tenantOfDomain(domain), authContext: tenant.authContext };
  };

  /** Spends a state once per process; the link's single use in the database is the lasting guard. */
  const spend = (state: string): boolean => {
    const now = deps.clock.now().getTime();
    for (const [key, until] of spent) if (until <= now) spent.delete(key);
    if (spent.has(state)) return false;
    spent.set(state, now + SPENT_STATE_MS);
    return true;
  };

  return {
    name: config.name,
    kind: config.kind,

    async begin({ redirectUri, loginHint, tenant }) {
      try {
        const ask = await askFor(tenant, loginHint);
        // askFor gives this service's own protocol, so its endpoints exist.
        const endpoints = endpointsOf(ask) as { issuer: string; document: string };
        const oidc = await openidClient();
        const built = await partyFor(endpoints).configuration(oidc);
        const codeVerifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        const parameters: Record<string, string> = {
          redirect_uri: redirectUri,
          response_type: "code",
          scope: ask.protocol === "entra" ? "openid profile" : "openid",
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: "S256",
          state,
          nonce,
          max_age: "0",
          login_hint: loginHint,
          ...(ask.protocol === "entra"
            ? { prompt: "login", claims: JSON.stringify({ id_token: { acrs: { essential: true, value: ask.authContext } } }) }
            : { acr_values: ask.acrValues }),
        };
        const url = oidc.buildAuthorizationUrl(built, parameters);
        return { url: url.href, flow: { provider: config.name, issuer: endpoints.issuer, state, nonce, codeVerifier, ask } };
      } catch (error) {
        // Nothing the caller sent is checked here: a failure is the provider's or its settings'.
        const failure = signinFailure(config.name, error);
        throw failure.code === "CALLER_SIGNIN_UNAVAILABLE" ? failure : new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: failure.details });
      }
    },

    async finish(callbackUrl, flow, expected) {
      const endpoints = endpointsOf(flow.ask);
      if (flow.provider !== config.name || endpoints === undefined || flow.issuer !== endpoints.issuer) {
        throw signinRejected("wrong_issuer", `the flow began at ${flow.provider} (${flow.issuer}); its answer came to ${config.name} (mix-up)`);
      }
      const iss = callbackUrl.searchParams.get("iss");
      if (iss !== null && iss !== flow.issuer) throw signinRejected("wrong_issuer", `the answer names issuer ${iss.replace(/[\p{Cc}]+/gu, " ").slice(0, 200)}, the flow began at ${flow.issuer} (mix-up)`);
      if (!spend(flow.state)) throw signinRejected("replayed", "this sign-in's state was already used");
      const oidc = await openidClient();
      const party = partyFor(endpoints);
      let built: Oidc.Configuration | undefined;
      try {
        built = await party.configuration(oidc);
        const tokens = await oidc.authorizationCodeGrant(built, callbackUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (claims === undefined) throw signinRejected("missing_claims", "the token response has no ID token");
        const issuerBase = config.kind === "entra-signin" ? config.issuerBase : undefined;
        return evaluateSignin({ provider: config.name, ask: flow.ask, ...(issuerBase === undefined ? {} : { issuerBase }) }, claims, expected);
      } catch (error) {
        throw signinFailure(config.name, error);
      } finally {
        if (built !== undefined) party.remember(oidc, built);
      }
    },

    close: () => outbound.close(),
  };
}
