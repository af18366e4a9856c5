import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { z } from "zod";
import { escapeHtml } from "../../domain/html.js";
import { VerityError } from "../../domain/errors.js";
import type { Clock } from "../../domain/ports.js";

/** Where the demo's identity provider lives on the demo server. */
export const DEMO_IDP_PATH = "/demo/idp";

/** A person the demo provider can sign in: a user of a demo directory. */
export interface DemoPerson {
  readonly id: string;
  readonly upn: string;
  readonly displayName: string;
}

/** The one relying party the demo provider knows: Verity's `simulated-signin` service. */
export interface DemoIdpClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** The acr a passkey meets (the service's acrValues). */
  readonly acrValues: string;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;
const REQUEST_TTL_MS = 10 * 60_000;
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 300;
const MAX_PENDING = 500;
const METHODS = { passkey: "a passkey (phishing-resistant)", password: "a password only" } as const;
type Method = keyof typeof METHODS;

const authorizeQuery = z.object({
  client_id: z.string().max(200),
  redirect_uri: z.string().max(500),
  response_type: z.literal("code"),
  scope: z.string().max(200).refine((s) => s.split(" ").includes("openid"), "scope must include openid"),
  state: z.string().min(8).max(200),
  nonce: z.string().min(8).max(200),
  code_challenge: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  code_challenge_method: z.literal("S256"),
  login_hint: z.string().max(320).optional(),
  acr_values: z.string().max(100).optional(),
  max_age: z.string().max(10).optional(),
});
type AuthorizeRequest = z.infer<typeof authorizeQuery>;
const loginForm = z.object({ request: z.string().regex(/^[A-Za-z0-9_-]{22}$/), person: z.string().min(1).max(200), method: z.enum(["passkey", "password"]) });
const tokenForm = z.object({ grant_type: z.literal("authorization_code"), code: z.string().max(100), redirect_uri: z.string().max(500), code_verifier: z.string().min(43).max(128), client_id: z.string().optional(), client_secret: z.string().optional() });

interface Grant {
  readonly request: AuthorizeRequest;
  readonly person: DemoPerson;
  readonly method: Method;
  readonly authTime: number;
  readonly expiresAt: number;
}

const random = (bytes: number) => randomBytes(bytes).toString("base64url");
const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
const oauthError = (reply: FastifyReply, status: number, error: string, description: string) => reply.code(status).header("cache-control", "no-store").send({ error, error_description: description });

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}.demo{background:#fff3cd;padding:.5rem;border-radius:.25rem}fieldset{margin:1rem 0}label{display:block;margin:.4rem 0}button{font-size:1.1rem;padding:.5rem 1rem}</style></head>
<body><p class="demo">DEMO identity provider · development only · no real account signs in here</p><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/**
 * DEMO ONLY: a small OpenID provider served by `verity demo` itself, so a newcomer can try
 * sign-in verification without internet or accounts. Verity's `simulated-signin` service talks to
 * it over HTTP with openid-client exactly as to Okta: discovery, authorization code with PKCE,
 * a client-authenticated token request, an RS256 ID token (jose, key made at start) with `acr`,
 * `amr` and `auth_time`, and `iss` on the answer. Its login page lets the person choose who signs
 * in and how (a passkey, or a password only), so the demo shows a verified sign-in, a refused
 * weaker one, and someone else's sign-in refused as fraud. Loopback only, like the demo phone.
 */
export async function demoIdpRoutes(app: FastifyInstance, deps: { issuer: string; client: DemoIdpClient; people: () => Promise<readonly DemoPerson[]>; clock: Clock }): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = random(8);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const pending = new Map<string, { request: AuthorizeRequest; expiresAt: number }>();
  const codes = new Map<string, Grant>();
  const now = () => deps.clock.now().getTime();
  const prune = () => {
    for (const [key, value] of pending) if (value.expiresAt <= now()) pending.delete(key);
    for (const [key, value] of codes) if (value.expiresAt <= now()) codes.delete(key);
    while (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value as string);
  };

  const localOnly = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (!LOOPBACK.has(request.socket.remoteAddress ?? "")) return done(new VerityError("NOT_FOUND"));
    if (!LOOPBACK_HOST.test(request.headers.host ?? "")) return done(new VerityError("FORBIDDEN", { message: "The demo identity provider answers only at 127.0.0.1 or localhost." }));
    done();
  };

  const loginPage = async (reply: FastifyReply, id: string, request: AuthorizeRequest, problem = "") => {
    const people = await deps.people();
    const hinted = people.find((p) => p.upn.toLowerCase() === request.login_hint?.toLowerCase());
    const ordered = hinted === undefined ? people : [hinted, ...people.filter((p) => p !== hinted)];
    const options = ordered.map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(`${p.displayName} (${p.upn})`)}</option>`).join("");
    const methods = Object.entries(METHODS)
      .map(([value, label], i) => `<label><input type="radio" name="method" value="${value}"${i === 0 ? " checked" : ""}> ${escapeHtml(label)}</label>`)
      .join("");
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
      .send(
        page(
          "Sign in",
          `${problem === "" ? "" : `<p id="problem">${escapeHtml(problem)}</p>`}<form method="post" action="${DEMO_IDP_PATH}/login"><input type="hidden" name="request" value="${id}">` +
            `<label>Who is signing in? <select name="person" id="person">${options}</select></label>` +
            `<fieldset><legend>Sign in with</legend>${methods}</fieldset><button type="submit" id="signin">Sign in</button></form>` +
            `<p>The first person is the caller Verity asked for; pick another to see a sign-in by someone else refused as fraud.</p>`,
        ),
      );
  };

  app.register((idp, _options, registered) => {
    idp.addHook("onRequest", localOnly);
    idp.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 4096 }, (_request, body, parsed) => {
      parsed(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    idp.get(`${DEMO_IDP_PATH}/.well-known/openid-configuration`, () => ({
      issuer: deps.issuer,
      authorization_endpoint: `${deps.issuer}/authorize`,
      token_endpoint: `${deps.issuer}/token`,
      jwks_uri: `${deps.issuer}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      acr_values_supported: ["phr", "phrh", "urn:okta:loa:1fa:pwd"],
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "nonce", "auth_time", "acr", "amr", "name"],
      authorization_response_iss_parameter_supported: true,
    }));

    idp.get(`${DEMO_IDP_PATH}/jwks`, () => ({ keys: [jwk] }));

    idp.get(`${DEMO_IDP_PATH}/authorize`, async (request, reply) => {
      const parsed = authorizeQuery.safeParse(request.query);
      // Never redirect to a URI the client did not register: an error page instead.
      if (!parsed.success || parsed.data.client_id !== deps.client.clientId || parsed.data.redirect_uri !== deps.client.redirectUri) {
        return reply.code(400).type("text/html; charset=utf-8").send(page("Sign-in request refused", "<p>This sign-in request is not from Verity's demo. Open the link from your message again.</p>"));
      }
      prune();
      const id = random(16);
      pending.set(id, { request: parsed.data, expiresAt: now() + REQUEST_TTL_MS });
      return loginPage(reply, id, parsed.data);
    });

    idp.post(`${DEMO_IDP_PATH}/login`, async (request, reply) => {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== new URL(deps.issuer).origin && origin !== `http://${request.headers.host ?? ""}`) throw new VerityError("CSRF_REJECTED");
      const form = loginForm.safeParse(request.body ?? {});
      const held = form.success ? pending.get(form.data.request) : undefined;
      if (!form.success || held === undefined || held.expiresAt <= now()) {
        return reply.code(400).type("text/html; charset=utf-8").send(page("Sign-in expired", "<p>This sign-in has expired. Open the link from your message again.</p>"));
      }
      const person = (await deps.people()).find((p) => p.id === form.data.person);
      if (person === undefined) return loginPage(reply, form.data.request, held.request, "Pick one of the demo people.");
      pending.delete(form.data.request);
      const code = random(32);
      codes.set(code, { request: held.request, person, method: form.data.method, authTime: Math.floor(now() / 1000), expiresAt: now() + CODE_TTL_MS });
      const back = new URL(held.request.redirect_uri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", held.request.state);
      back.searchParams.set("iss", deps.issuer);
      return reply.redirect(back.href, 303);
    });

    idp.post(`${DEMO_IDP_PATH}/token`, async (request, reply) => {
      const form = tokenForm.safeParse(request.body ?? {});
      if (!form.success) return oauthError(reply, 400, "invalid_request", "malformed token request");
      const [user, pass] = basicCredentials(request.headers.authorization) ?? [form.data.client_id ?? "", form.data.client_secret ?? ""];
      if (!same(user, deps.client.clientId) || !same(pass, deps.client.clientSecret)) return oauthError(reply, 401, "invalid_client", "client authentication failed");
      const grant = codes.get(form.data.code);
      // A code works once: it is gone before anything else is checked.
      codes.delete(form.data.code);
      if (grant === undefined || grant.expiresAt <= now() || form.data.redirect_uri !== grant.request.redirect_uri) return oauthError(reply, 400, "invalid_grant", "the code is unknown, used or expired");
      const challenge = createHash("sha256").update(form.data.code_verifier).digest("base64url");
      if (!same(challenge, grant.request.code_challenge)) return oauthError(reply, 400, "invalid_grant", "PKCE verification failed");
      const idToken = await signIdToken(privateKey, kid, deps.issuer, deps.client, grant, now());
      return reply.header("cache-control", "no-store").send({ access_token: random(32), token_type: "Bearer", expires_in: TOKEN_TTL_S, scope: "openid", id_token: idToken });
    });
    registered();
  });
}

/** `Authorization: Basic` as RFC 6749 §2.3.1 writes it (each part form-urlencoded). */
function basicCredentials(header: string | undefined): [string, string] | undefined {
  if (header === undefined || !/^Basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    return [decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")), decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "))];
  } catch {
    return undefined;
  }
}

/** The ID token: acr is what was asked when a passkey met it, else a one-factor password level (as Okta reports). */
function signIdToken(key: CryptoKey, kid: string, issuer: string, client: DemoIdpClient, grant: Grant, nowMs: number): Promise<string> {
  const passkey = grant.method === "passkey";
  const acr = passkey ? (grant.request.acr_values ?? client.acrValues) : "urn:okta:loa:1fa:pwd";
  const seconds = Math.floor(nowMs / 1000);
  return new SignJWT({ nonce: grant.request.nonce, auth_time: grant.authTime, acr, amr: passkey ? ["hwk", "user"] : ["pwd"], name: grant.person.displayName })
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(client.clientId)
    .setSubject(grant.person.id)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + TOKEN_TTL_S)
    .sign(key);
}
