import type Provider from "oidc-provider";
import { buildProvider, createSigningKey, listenIdp, type LocalAccount, type LocalClient, type StepUpHooks, type Tamper } from "./local-idp.js";

const MICROSOFT = "https://login.microsoftonline.com";

/** How a person authenticates at the fake: the login page offers these (`authenticator`). */
export const AUTHENTICATORS = ["passkey", "password", "windows-hello", "certificate-mfa", "certificate-single", "sms", "push", "okta-verify"] as const;
export type Authenticator = (typeof AUTHENTICATORS)[number];

/** Entra's `amr` for each (PROVIDERS.md §10.1). */
const ENTRA_AMR: Record<Authenticator, string[]> = {
  passkey: ["fido", "mfa"],
  password: ["pwd"],
  "windows-hello": ["hwk", "mfa", "ngcmfa"],
  "certificate-mfa": ["x509", "mfa", "rsa"],
  "certificate-single": ["x509"],
  sms: ["pwd", "sms", "mfa"],
  push: ["pwd", "rsa", "ngcmfa", "mfa"],
  "okta-verify": ["pwd"],
};
const PHISHING_RESISTANT: ReadonlySet<Authenticator> = new Set(["passkey", "windows-hello", "certificate-mfa"]);

/** Okta's `acr` for what the person did (PROVIDERS.md §10.2; `amr` mapping UNCONFIRMED, RFC 8176 names). */
const OKTA_ACR: Record<Authenticator, { acr: string; amr: string[] }> = {
  passkey: { acr: "phr", amr: ["hwk", "user"] },
  "okta-verify": { acr: "phrh", amr: ["pop", "user"] },
  password: { acr: "urn:okta:loa:1fa:pwd", amr: ["pwd"] },
  sms: { acr: "urn:okta:loa:2fa:any", amr: ["pwd", "sms", "mfa"] },
  push: { acr: "urn:okta:loa:2fa:any", amr: ["pwd", "pop", "mfa"] },
  "windows-hello": { acr: "urn:okta:loa:2fa:any", amr: ["pwd", "mfa"] },
  "certificate-mfa": { acr: "urn:okta:loa:2fa:any", amr: ["pwd", "sc", "mfa"] },
  "certificate-single": { acr: "urn:okta:loa:1fa:any", amr: ["sc"] },
};

/** One completed login at the fake, found again by the ID token's nonce. */
interface Login {
  readonly accountId: string;
  readonly authenticator: Authenticator;
  readonly at: number;
  readonly parameters: URLSearchParams | undefined;
}

/** The test-facing controls both step-up fakes share. */
export interface StepUpControls {
  /** Every authorization request as it arrived (claims, login_hint, prompt, max_age, acr_values…). */
  readonly requests: URLSearchParams[];
  /** Added to each login's `auth_time` (seconds): a negative value plays an old session. */
  authTimeOffsetSeconds: number;
  /** Alters the next ID tokens (wrong audience, issuer, tenant; another flow's token; a foreign key). */
  tamper: Tamper | undefined;
  /** The authenticator used when the login form does not say (tests posting the form by hand pick one). */
  defaultAuthenticator: Authenticator;
}

function createStepUp(flavour: "entra" | "okta", controls: StepUpControls, rules: { contextPolicy: () => "phishing-resistant" | "none"; enforceAcr: () => boolean }): StepUpHooks {
  const byState = new Map<string, URLSearchParams>();
  const logins = new Map<string, Login>();
  const choice = (form: URLSearchParams): Authenticator => {
    const picked = form.get("authenticator");
    return (AUTHENTICATORS as readonly string[]).includes(picked ?? "") ? (picked as Authenticator) : controls.defaultAuthenticator;
  };
  return {
    authenticators: flavour === "entra" ? ["passkey", "windows-hello", "certificate-mfa", "certificate-single", "password", "sms", "push"] : ["passkey", "okta-verify", "password", "sms", "push"],
    authorize(parameters) {
      controls.requests.push(parameters);
      const state = parameters.get("state");
      if (state !== null) byState.set(state, parameters);
    },
    login(accountId, form, params) {
      const authenticator = choice(form);
      const raw = typeof params.state === "string" ? byState.get(params.state) : undefined;
      if (flavour === "okta" && rules.enforceAcr()) {
        const asked = raw?.get("acr_values");
        const met = OKTA_ACR[authenticator].acr;
        if ((asked === "phr" && met !== "phr" && met !== "phrh") || (asked === "phrh" && met !== "phrh")) return { error: "unmet_authentication_requirements" };
      }
      if (typeof params.nonce === "string") logins.set(params.nonce, { accountId, authenticator, at: Math.floor(Date.now() / 1000), parameters: raw });
      return {};
    },
    claims(claims) {
      const login = typeof claims.nonce === "string" ? logins.get(claims.nonce) : undefined;
      if (login === undefined) return claims;
      const authTime = login.at + controls.authTimeOffsetSeconds;
      if (flavour === "okta") {
        const { acr, amr } = OKTA_ACR[login.authenticator];
        // Okta's acr is the level met: the one asked for when the authenticator meets it.
        const asked = login.parameters?.get("acr_values");
        const met = (asked === "phr" && (acr === "phr" || acr === "phrh")) || (asked === "phrh" && acr === "phrh");
        return { ...claims, acr: met ? asked : acr, amr, auth_time: authTime };
      }
      // Entra issues acrs when the policies bound to the context are met, and also when none is bound.
      const asked = requestedContext(login.parameters?.get("claims") ?? null);
      const satisfied = rules.contextPolicy() === "none" || PHISHING_RESISTANT.has(login.authenticator);
      return { ...claims, amr: ENTRA_AMR[login.authenticator], auth_time: authTime, ...(asked !== undefined && satisfied ? { acrs: [asked] } : {}) };
    },
  };
}

/** The auth context an Entra `claims` parameter asks for: `{"id_token":{"acrs":{"essential":true,"value":"c1"}}}`. */
function requestedContext(claims: string | null): string | undefined {
  if (claims === null) return undefined;
  try {
    const value = (JSON.parse(claims) as { id_token?: { acrs?: { value?: unknown } } }).id_token?.acrs?.value;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

const controlsWith = (defaultAuthenticator: Authenticator): StepUpControls => ({ requests: [], authTimeOffsetSeconds: 0, tamper: undefined, defaultAuthenticator });

export interface LocalEntraSignin extends StepUpControls {
  /** What Verity's `loginUrl` points at, in place of https://login.microsoftonline.com. */
  readonly url: string;
  /** Whether a Conditional Access policy (phishing-resistant strength) is bound to the context. */
  contextPolicy: "phishing-resistant" | "none";
  start(clients: readonly LocalClient[]): void;
  close(): Promise<void>;
}

/**
 * The Microsoft identity platform for sign-in verification: one oidc-provider per tenant at
 * `/{tid}/v2.0`, issuer https://login.microsoftonline.com/{tid}/v2.0, `tid` and `oid` in every ID
 * token, no `iss` on the authorization response (Entra sends none). Like Entra with the optional
 * claims added, tokens carry `amr` (by the authenticator chosen on the login page), `auth_time`,
 * and `acrs` when the `claims` parameter asked for a context and its policy (if bound) was met.
 * All tenants sign with the same keys, as Microsoft's do.
 */
export async function startLocalEntraSignin(options: {
  tenants: Record<string, Record<string, LocalAccount>>;
  /** Verified domains → their tenant: `/{domain}/v2.0/.well-known/openid-configuration` answers with that tenant's issuer. */
  domains?: Record<string, string>;
}): Promise<LocalEntraSignin> {
  const signing = createSigningKey();
  const accounts = new Map(Object.entries(options.tenants).map(([tid, people]) => [tid, new Map(Object.entries(people).map(([id, a]) => [id, { ...a, claims: { tid, oid: id, ...a.claims } }]))]));
  const providers = new Map<string, { provider: Provider; stepUp: StepUpHooks }>();
  const targetOf = (tid: string) => () => {
    const built = providers.get(tid);
    const people = accounts.get(tid);
    return built === undefined || people === undefined ? undefined : { provider: built.provider, accounts: people, stepUp: built.stepUp };
  };
  const server = await listenIdp(() => [
    ...[...accounts.keys()].map((tid) => ({ prefix: `/${tid}/v2.0`, target: targetOf(tid) })),
    ...Object.entries(options.domains ?? {}).map(([domain, tid]) => ({ prefix: `/${domain}/v2.0`, target: targetOf(tid) })),
  ]);
  const fake: LocalEntraSignin = {
    ...controlsWith("passkey"),
    url: server.url,
    contextPolicy: "phishing-resistant",
    start(clients) {
      for (const [tid, people] of accounts) {
        const stepUp = createStepUp("entra", fake, { contextPolicy: () => fake.contextPolicy, enforceAcr: () => false });
        const provider = buildProvider(`${MICROSOFT}/${tid}/v2.0`, { accounts: people, clients, signing, tamper: () => fake.tamper, stepUp });
        provider.use(async (ctx, next) => {
          await next();
          if (ctx.oidc?.route === "discovery") delete (ctx.body as Record<string, unknown>).authorization_response_iss_parameter_supported;
        });
        provider.on("authorization.success", (_ctx, out) => {
          delete out.iss;
        });
        providers.set(tid, { provider, stepUp });
      }
    },
    close: () => server.close(),
  };
  return fake;
}

export interface LocalOktaSignin extends StepUpControls {
  /** The issuer (discovery at <url>/.well-known/openid-configuration). */
  readonly url: string;
  /** Every request's path, in order (how often discovery and the key set were fetched). */
  readonly paths: string[];
  /** Whether an unmet `acr_values` ends in `unmet_authentication_requirements` (Okta's behaviour) or is ignored. */
  enforceAcr: boolean;
  start(clients: readonly LocalClient[]): void;
  close(): Promise<void>;
}

/**
 * An Okta authorization server for step-up: `acr_values` (phr, phrh) met by the authenticator
 * chosen on the login page, else `unmet_authentication_requirements` to the redirect URI; `acr`,
 * `amr` and `auth_time` in the ID token; `iss` on the authorization response (RFC 9207).
 */
export async function startLocalOktaSignin(options: { accounts: Record<string, LocalAccount> }): Promise<LocalOktaSignin> {
  const accounts = new Map(Object.entries(options.accounts));
  const signing = createSigningKey();
  let built: { provider: Provider; stepUp: StepUpHooks } | undefined;
  const paths: string[] = [];
  const server = await listenIdp(
    () => [{ prefix: "", target: () => (built === undefined ? undefined : { ...built, accounts }) }],
    (path) => paths.push(path),
  );
  const fake: LocalOktaSignin = {
    ...controlsWith("passkey"),
    url: server.url,
    paths,
    enforceAcr: true,
    start(clients) {
      const stepUp = createStepUp("okta", fake, { contextPolicy: () => "none", enforceAcr: () => fake.enforceAcr });
      built = { provider: buildProvider(server.url, { accounts, clients, signing, tamper: () => fake.tamper, stepUp }), stepUp };
    },
    close: () => server.close(),
  };
  return fake;
}
