import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

/** Issue 10: the web app's pages, sessions and headers, over HTTP. */
describe("web app pages", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let framed: { t: TestRuntime; app: FastifyInstance };
  let cookie = "";
  let csrf = "";
  const origin = "http://127.0.0.1:8787";
  const headers = () => ({ host: "127.0.0.1:8787", cookie: `__Host-verity_session=${cookie}` });

  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS, demo: true });
    app = await buildApp(t.runtime);
    const t2 = await createTestRuntime({ overrides: { ...ROOMY_LIMITS, web: { frameAncestors: ["https://acme.halopsa.com"] } } });
    framed = { t: t2, app: await buildApp(t2.runtime) };
    const signedIn = await app.inject({
      method: "POST",
      url: "/signin/demo",
      remoteAddress: "127.0.0.1",
      headers: { host: "127.0.0.1:8787", origin, "content-type": "application/x-www-form-urlencoded" },
      payload: "as=technician&next=%2Fverify",
    });
    assert.equal(signedIn.statusCode, 303, signedIn.body);
    const setCookie = String(signedIn.headers["set-cookie"]);
    assert.match(setCookie, /^__Host-verity_session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    cookie = /=([^;]+)/.exec(setCookie)?.[1] ?? "";
    const page = await app.inject({ method: "GET", url: "/verify", remoteAddress: "127.0.0.1", headers: headers() });
    csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1] ?? "";
    assert.ok(csrf.length > 20);
  });
  after(async () => {
    await app.close();
    await t.close();
    await framed.app.close();
    await framed.t.close();
  });

  it("sends / to the sign-in page, and a page without a session there with where to come back", async () => {
    const root = await app.inject({ method: "GET", url: "/" });
    assert.deepEqual([root.statusCode, root.headers.location], [303, "/signin"]);
    const page = await app.inject({ method: "GET", url: "/verify?user=jane&ticket=7" });
    assert.deepEqual([page.statusCode, page.headers.location], [303, "/signin?next=%2Fverify%3Fuser%3Djane%26ticket%3D7"]);
  });

  it("offers the demo's one-click sign-in only on this machine", async () => {
    const remote = await app.inject({ method: "GET", url: "/signin", remoteAddress: "198.51.100.7", headers: { host: "verity.example.com" } });
    assert.doesNotMatch(remote.body, /Continue as Demo Technician/);
    assert.match(remote.body, /Signing in needs HTTPS/);
    const post = await app.inject({
      method: "POST",
      url: "/signin/demo",
      remoteAddress: "198.51.100.7",
      headers: { host: "verity.example.com", origin: "http://verity.example.com", "content-type": "application/x-www-form-urlencoded" },
      payload: "as=admin",
    });
    assert.equal(post.statusCode, 403);
    assert.equal(post.headers["set-cookie"], undefined);
  });

  it("lets the pages use the API with the session, and refuses a change without the CSRF token or from another origin", async () => {
    const search = await app.inject({ method: "GET", url: "/api/v1/directory/search?q=jan", remoteAddress: "127.0.0.1", headers: headers() });
    assert.equal(search.statusCode, 200, search.body);
    assert.equal(search.json<{ matches: { displayName: string }[] }>().matches[0]?.displayName, "Jane Doe");
    const body = JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" });
    const post = (extra: Record<string, string>) =>
      app.inject({ method: "POST", url: "/api/v1/verifications", remoteAddress: "127.0.0.1", headers: { ...headers(), "content-type": "application/json", ...extra }, payload: body });
    assert.equal((await post({ origin })).statusCode, 403, "no CSRF token");
    assert.equal((await post({ origin: "http://127.0.0.1:9999", "x-csrf-token": csrf })).statusCode, 403, "another origin");
    assert.equal((await post({ "x-csrf-token": csrf })).statusCode, 403, "no origin");
    const ok = await post({ origin, "x-csrf-token": csrf });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json<{ technician: string }>().technician, "Demo Technician");
  });

  it("ends the session at sign-out, server-side", async () => {
    const out = await app.inject({
      method: "POST",
      url: "/signout",
      remoteAddress: "127.0.0.1",
      headers: { ...headers(), origin, "content-type": "application/x-www-form-urlencoded" },
      payload: `csrf=${encodeURIComponent(csrf)}`,
    });
    assert.deepEqual([out.statusCode, out.headers.location], [303, "/signin"]);
    const after = await app.inject({ method: "GET", url: "/verify", remoteAddress: "127.0.0.1", headers: headers() });
    assert.equal(after.statusCode, 303, "the old cookie no longer signs anyone in");
  });

  it("lets only configured origins frame the pages; everything else refuses frames", async () => {
    const plain = await app.inject({ method: "GET", url: "/signin" });
    assert.match(String(plain.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(plain.headers["x-frame-options"], "DENY");
    const page = await framed.app.inject({ method: "GET", url: "/signin" });
    assert.match(String(page.headers["content-security-policy"]), /frame-ancestors 'self' https:\/\/acme\.halopsa\.com/);
    assert.equal(page.headers["x-frame-options"], undefined);
    const api = await framed.app.inject({ method: "GET", url: "/api/openapi.json" });
    assert.match(String(api.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(api.headers["x-frame-options"], "DENY");
  });
});
