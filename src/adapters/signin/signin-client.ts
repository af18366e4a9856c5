import type { Logger } from "pino";
import type * as Oidc from "openid-client";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";
import { createOutboundClient } from "../http/outbound.js";
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

/** Parties kept for this many Entra tenants (one per caller's tenant; discovery per tenant). */
const MAX_TENANTS = 500;
/** A state is remembered as spent for longer than any flow lives (the link's 10 minutes). */
const SPENT_STATE_MS = 30 * 60_000;

export function createSigninService(config: SigninProviderConfig & { readonly name: string }, deps: { clock: Clock; log?: Pick<Logger, "warn" | "debug"> }): SigninService {
  const outbound = createOutboundClient({ name: `the identity provider ${config.name}`, timeoutMs: config.timeoutSeconds * 1000, maxRetries: 1, ...(deps.log === undefined ? {} : { log: deps.log }) });
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

  const askFor = (tenant: SigninTenant): SigninAsk => {
    if (config.kind !== "entra-signin") return { protocol: "okta", acrValues: config.acrValues };
    if (tenant.entraTenantId === undefined || tenant.authContext === undefined) {
      throw new VerityError("CALLER_SIGNIN_UNAVAILABLE", { message: "Sign-in verification is not set up for this organisation.", details: { reason: "the tenant has no Entra tenant id or authentication context (signIn)" } });
    }
    return { protocol: "entra", tenantId: tenant.entraTenantId.toLowerCase(), authContext: tenant.authContext };
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
      const ask = askFor(tenant);
      const endpoints = endpointsOf(ask) as { issuer: string; document: string };
      try {
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
