import { createPrivateKey, createSign, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type ProviderContext } from "oidc-provider";

/** A person at the local identity provider. Sign in with their id as the login and `password`. */
export interface LocalAccount {
  readonly password?: string;
  /** Claims beyond `sub` (name, email, groups, roles; Entra-like: oid, and tid to override the tenant's). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface LocalClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly authMethod?: "client_secret_basic" | "client_secret_post";
}

/** A switchable failure: the next ID tokens are altered (and re-signed) on their way out. */
export interface Tamper {
  readonly claims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  /** Sign with a key that is not in the provider's JWKS (same kid). */
  readonly foreignKey?: boolean;
  /** Hand out the ID token issued before this one, unchanged (a token replayed from an earlier flow). */
  readonly replayPrevious?: boolean;
}

/** What a step-up provider (local-signin-idp.ts) adds to the plain provider. */
export interface StepUpHooks {
  /** Each authorization request's parameters, exactly as the browser brought them. */
  authorize(parameters: URLSearchParams): void;
  /** The person's choice on the login page; an `error` ends the flow with that OAuth error. */
  login(accountId: string, form: URLSearchParams, parameters: Readonly<Record<string, unknown>>): { error?: string };
  /** The ID token's claims on its way out (re-signed with the provider's key). */
  claims(claims: Record<string, unknown>): Record<string, unknown>;
  /** The authenticators the login page offers. */
  readonly authenticators: readonly string[];
}

export const DEFAULT_PASSWORD = "correct horse battery staple";

/** One signing key for a whole local IdP (Entra's tenants share Microsoft's keys too). */
export interface SigningKey {
  readonly jwk: JsonWebKey & { kid: string };
  readonly key: KeyObject;
}

export function createSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };
  return { jwk, key: privateKey };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const unb64 = (part: string | undefined) => JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8")) as Record<string, unknown>;

/** Re-signs an ID token after `tamper` changed it: the tests' wrong audience, issuer, nonce or signature. */
export function resign(jwt: string, tamper: Tamper, signing: SigningKey): string {
  const [header, payload] = jwt.split(".");
  const claims = tamper.claims === undefined ? unb64(payload) : tamper.claims(unb64(payload));
  const key = tamper.foreignKey === true ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : createPrivateKey({ key: signing.jwk, format: "jwk" });
  const input = `${header}.${b64(claims)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(key).toString("base64url")}`;
}

const mountOf = (req: IncomingMessage & { originalUrl?: string }) => (req.originalUrl ?? "").slice(0, (req.originalUrl ?? "").length - (req.url ?? "").length);

/**
 * A real OpenID provider (oidc-provider) for tests: code flow with PKCE, the accounts given,
 * their claims in the ID token (groups, roles, Entra's tid and oid), consent taken as given, no
 * development warnings. Its login page is the one a person fills in (`login`, `password`).
 */
export function buildProvider(
  issuer: string,
  options: {
    accounts: ReadonlyMap<string, LocalAccount>;
    clients: readonly LocalClient[];
    signing: SigningKey;
    tamper: () => Tamper | undefined;
    idTokenTtl?: number;
    /** Step-up providers: sees each authorization request as sent, and adds claims (acr, amr, acrs, auth_time) to each ID token. */
    stepUp?: StepUpHooks;
  },
): Provider {
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...c.redirectUris],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: c.authMethod ?? "client_secret_basic",
    })),
    jwks: { keys: [options.signing.jwk] },
    cookies: { keys: [randomUUID()] },
    claims: { openid: ["sub"], profile: ["name", "preferred_username", "groups", "roles", "tid", "oid"], email: ["email"] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (ctx: ProviderContext, interaction: { uid: string }) => `${mountOf(ctx.req)}/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => {
      const account = options.accounts.get(id);
      return account === undefined ? undefined : { accountId: id, claims: () => ({ sub: id, ...account.claims }) };
    },
    loadExistingGrant: async (ctx: ProviderContext) => {
      const oidc = ctx.oidc;
      if (oidc?.client === undefined || oidc.session?.accountId === undefined) return undefined;
      const id = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      if (id !== undefined) return oidc.provider.Grant.find(id);
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope("openid profile email");
      await grant.save();
      return grant;
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: options.idTokenTtl ?? 300, Interaction: 600, Session: 600, Grant: 600 },
    clientBasedCORS: () => false,
    renderError: (ctx: ProviderContext, out: Record<string, unknown>) => {
      ctx.body = `<!doctype html><title>Error</title><p id="error">${String(out.error)}</p>`;
    },
  });
  let previous: string | undefined;
  provider.use(async (ctx, next) => {
    if (options.stepUp !== undefined && ctx.path === "/auth") options.stepUp.authorize(new URLSearchParams(ctx.req.url?.split("?")[1] ?? ""));
    await next();
    const tamper = options.tamper();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (ctx.oidc?.route !== "token" || typeof body?.id_token !== "string") return;
    const stepUp = options.stepUp;
    const issued = stepUp === undefined ? body.id_token : resign(body.id_token, { claims: (claims) => stepUp.claims(claims) }, options.signing);
    if (tamper?.replayPrevious === true && previous !== undefined) body.id_token = previous;
    else body.id_token = tamper === undefined ? issued : resign(issued, tamper, options.signing);
    previous = issued;
  });
  return provider;
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The login page: a person types their login and password; anything else is the provider's. */
async function interaction(req: IncomingMessage, res: ServerResponse, provider: Provider, accounts: ReadonlyMap<string, LocalAccount>, action: string, stepUp?: StepUpHooks) {
  const details = await provider.interactionDetails(req, res);
  let problem = "";
  if (req.method === "POST") {
    const form = await readForm(req);
    const login = form.get("login") ?? "";
    const account = accounts.get(login);
    if (account !== undefined && form.get("password") === (account.password ?? DEFAULT_PASSWORD)) {
      const outcome = stepUp?.login(login, form, details.params) ?? {};
      const result = outcome.error === undefined ? { login: { accountId: login } } : { error: outcome.error, error_description: "the sign-in did not meet the requested authentication" };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      return;
    }
    problem = `<p id="problem">Wrong login or password.</p>`;
  }
  const choices =
    stepUp === undefined
      ? ""
      : `<label>Sign in with <select name="authenticator" id="authenticator">${stepUp.authenticators.map((a) => `<option value="${a}">${a}</option>`).join("")}</select></label>`;
  res.writeHead(problem === "" ? 200 : 401, { "content-type": "text/html; charset=utf-8" });
  res.end(
    page(
      `Sign in to ${provider.issuer}`,
      `${problem}<form method="post" action="${action}"><input type="hidden" name="prompt" value="${details.prompt.name}">` +
        `<label>Login <input name="login" id="login" autocomplete="username"></label>` +
        `<label>Password <input type="password" name="password" id="password"></label>` +
        choices +
        `<button type="submit">Sign in</button></form>`,
    ),
  );
}

/** Where a path prefix's requests go: a provider and the accounts that may sign in there. */
export interface Mount {
  readonly prefix: string;
  target(): { provider: Provider; accounts: ReadonlyMap<string, LocalAccount>; stepUp?: StepUpHooks } | undefined;
}

/** A node:http server on 127.0.0.1:0 that routes each prefix to its provider (mounted as under Express). */
export async function listenIdp(mounts: () => readonly Mount[], observe?: (path: string) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage & { originalUrl?: string }, res) => {
    const url = req.url ?? "/";
    observe?.(url.split("?")[0] ?? url);
    const mount = mounts().find((m) => url.startsWith(`${m.prefix}/`));
    const target = mount?.target();
    if (mount === undefined || target === undefined) {
      res.writeHead(404).end();
      return;
    }
    req.originalUrl = url;
    req.url = url.slice(mount.prefix.length);
    const uid = /^\/interaction\/([\w-]+)$/.exec(req.url.split("?")[0] ?? "")?.[1];
    if (uid !== undefined) {
      interaction(req, res, target.provider, target.accounts, `${mount.prefix}/interaction/${uid}`, target.stepUp).catch(() => {
        if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" });
        res.end("interaction failed");
      });
      return;
    }
    target.provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
