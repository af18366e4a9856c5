import assert from "node:assert/strict";
import { get } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { createSigninService, type SigninService } from "../../src/adapters/signin/signin-client.js";
import { simulatedSigninConfigSchema } from "../../src/adapters/signin/signin-config.js";
import { isVerityError } from "../../src/domain/errors.js";
import { sendError } from "../../src/http/error-handler.js";
import { DEMO_IDP_PATH, demoIdpRoutes } from "../../src/http/routes/demo-idp.js";
import { createHttpBrowser, type HttpBrowser } from "../helpers/http-browser.js";
import { rejectsWith } from "../helpers/rejects.js";
import { SIGNIN_CALLBACK_PATH } from "../helpers/signin.js";

const PEOPLE = [
  { id: "u-1001", upn: "jane.doe@acme.example", displayName: "Jane Doe" },
  { id: "u-1002", upn: "sam.patel@acme.example", displayName: "Sam Patel" },
];

describe("the demo's identity provider", () => {
  let app: FastifyInstance;
  let base: string;
  let service: SigninService;
  const clock = { now: () => new Date() };

  before(async () => {
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => (isVerityError(error) ? sendError(reply, error) : reply.code(500).send({ error: "internal" })));
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await app.close();
    // Listening first tells the port, which the issuer and redirect URI need; then the real app on it.
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => (isVerityError(error) ? sendError(reply, error) : reply.code(500).send({ error: "internal" })));
    const client = { clientId: "verity-demo", clientSecret: "demo-secret", redirectUri: `${base}${SIGNIN_CALLBACK_PATH}`, acrValues: "phr" };
    await demoIdpRoutes(app, { issuer: `${base}${DEMO_IDP_PATH}`, client, people: () => Promise.resolve(PEOPLE), clock });
    await app.listen({ host: "127.0.0.1", port: Number(new URL(base).port) });
    service = createSigninService(
      { name: "demo-signin", ...simulatedSigninConfigSchema.parse({ kind: "simulated-signin", issuer: `${base}${DEMO_IDP_PATH}`, clientId: "verity-demo", clientSecret: "demo-secret" }) },
      { clock },
    );
  });
  after(async () => {
    await service.close();
    await app.close();
  });

  /** The caller at the demo provider: picks a person and a method; returns the callback URL. */
  async function signIn(browser: HttpBrowser, person: string, method: "passkey" | "password") {
    const begun = await service.begin({ redirectUri: `${base}${SIGNIN_CALLBACK_PATH}`, loginHint: "jane.doe@acme.example", tenant: {} });
    const login = await browser.request(begun.url);
    assert.equal(login.status, 200, login.text);
    assert.match(login.text, /DEMO identity provider/);
    assert.ok(login.text.indexOf("Jane Doe") < login.text.indexOf("Sam Patel"), "the hinted caller is offered first");
    const request = /name="request" value="([^"]+)"/.exec(login.text)?.[1] ?? "";
    const posted = await browser.request(`${base}${DEMO_IDP_PATH}/login`, { method: "POST", form: { request, person, method } });
    assert.equal(posted.status, 303, posted.text);
    return { flow: begun.flow, callback: new URL(posted.location ?? "") };
  }
  const started = () => new Date(Math.floor(Date.now() / 1000) * 1000);

  it("signs the caller in with a passkey: verified as phishing-resistant over real OpenID Connect", async () => {
    const at = started();
    const { flow, callback } = await signIn(createHttpBrowser(), "u-1001", "passkey");
    assert.equal(callback.searchParams.get("iss"), `${base}${DEMO_IDP_PATH}`);
    const evidence = await service.finish(callback, flow, { userId: "u-1001", startedAt: at, requirePhishingResistant: true });
    assert.equal(evidence.phishingResistant, true);
    assert.equal(evidence.acr, "phr");
    assert.equal(evidence.subject, "u-1001");
  });

  it("refuses a password-only sign-in as not phishing-resistant, and someone else's as wrong_user", async () => {
    const at = started();
    const weak = await signIn(createHttpBrowser(), "u-1001", "password");
    const error = await rejectsWith(service.finish(weak.callback, weak.flow, { userId: "u-1001", startedAt: at, requirePhishingResistant: true }), "CALLER_SIGNIN_REJECTED");
    assert.equal((error.details as { reason: string }).reason, "not_phishing_resistant");
    const other = await signIn(createHttpBrowser(), "u-1002", "passkey");
    const fraud = await rejectsWith(service.finish(other.callback, other.flow, { userId: "u-1001", startedAt: at, requirePhishingResistant: true }), "CALLER_SIGNIN_REJECTED");
    assert.equal((fraud.details as { reason: string }).reason, "wrong_user");
  });

  it("spends a code once, checks PKCE and the client, and registers no other redirect URI", async () => {
    const at = started();
    const { flow, callback } = await signIn(createHttpBrowser(), "u-1001", "passkey");
    const code = callback.searchParams.get("code") ?? "";
    const token = (form: Record<string, string>, secret = "demo-secret") =>
      fetch(`${base}${DEMO_IDP_PATH}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`verity-demo:${secret}`).toString("base64")}` },
        body: new URLSearchParams({ grant_type: "authorization_code", redirect_uri: `${base}${SIGNIN_CALLBACK_PATH}`, ...form }).toString(),
      });
    assert.equal((await token({ code, code_verifier: flow.codeVerifier }, "wrong")).status, 401, "a wrong client secret");
    const badPkce = await token({ code, code_verifier: "x".repeat(43) });
    assert.equal(badPkce.status, 400);
    assert.equal(((await badPkce.json()) as { error: string }).error, "invalid_grant");
    // The failed PKCE attempt spent the code: the real callback is now refused as a replay.
    const spent = await rejectsWith(service.finish(callback, flow, { userId: "u-1001", startedAt: at, requirePhishingResistant: true }), "CALLER_SIGNIN_REJECTED");
    assert.equal((spent.details as { reason: string }).reason, "replayed");
    const foreign = new URL(`${base}${DEMO_IDP_PATH}/authorize`);
    for (const [k, v] of Object.entries({ client_id: "verity-demo", redirect_uri: "https://evil.example/cb", response_type: "code", scope: "openid", state: "s".repeat(10), nonce: "n".repeat(10), code_challenge: "c".repeat(43), code_challenge_method: "S256" })) {
      foreign.searchParams.set(k, v);
    }
    const refused = await fetch(foreign, { redirect: "manual" });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get("location"), null, "never redirects to an unregistered URI");
  });

  it("answers only to a loopback Host", async () => {
    // fetch keeps its own Host header; node:http sends the one a DNS-rebinding page would.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${base}${DEMO_IDP_PATH}/.well-known/openid-configuration`, { headers: { host: "rebound.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on("error", reject);
    });
    assert.equal(status, 403);
  });
});
