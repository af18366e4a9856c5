import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { startFakeHalo, type FakeHalo } from "../fakes/halopsa/fake-halo.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

/**
 * A PSA's link names only the ticket (`/verify?system=<name>&ticket=…`, from a ConnectWise pod, an
 * Autotask LiveLink, a ServiceNow UI action): the ticketing system says who the caller is.
 */
describe("the verify page opened from a ticket", () => {
  let halo: FakeHalo;
  let t: TestRuntime;
  let app: FastifyInstance;
  let cookie = "";
  let csrf = "";
  const origin = "http://127.0.0.1:8787";
  const headers = () => ({ host: "127.0.0.1:8787", cookie: `__Host-verity_session=${cookie}` });
  const get = (url: string) => app.inject({ method: "GET", url, remoteAddress: "127.0.0.1", headers: headers() });

  before(async () => {
    halo = await startFakeHalo({
      tickets: [
        { id: 900, summary: "Jane's reset", user_id: 71, client_id: 1 },
        { id: 901, summary: "No contact email", user_id: 72, client_id: 1 },
      ],
      users: [
        { id: 71, name: "Jane Doe", emailaddress: TEST_USERS.jane.upn, client_id: 1 },
        { id: 72, name: "Walk-in", emailaddress: "", client_id: 1 },
      ],
    });
    t = await createTestRuntime({
      demo: true,
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        ticketing: {
          halo: { kind: "halopsa", authUrl: halo.authUrl, apiUrl: halo.apiUrl, clientId: "verity-client", clientSecret: "verity-secret-0123456789", webhook: { kind: "basic", username: "hook", password: "a-long-webhook-password-0123456789" } },
        },
        tenants: [acmeTenant(dir, { ticketing: { system: "halo" } })],
      }),
    });
    app = await buildApp(t.runtime);
    const signedIn = await app.inject({
      method: "POST",
      url: "/signin/demo",
      remoteAddress: "127.0.0.1",
      headers: { host: "127.0.0.1:8787", origin, "content-type": "application/x-www-form-urlencoded" },
      payload: "as=technician&next=%2Fverify",
    });
    cookie = /=([^;]+)/.exec(String(signedIn.headers["set-cookie"]))?.[1] ?? "";
    csrf = /<meta name="csrf-token" content="([^"]+)"/.exec((await get("/verify")).body)?.[1] ?? "";
    assert.ok(csrf.length > 20);
  });
  after(async () => {
    await app.close();
    await t.close();
    await halo.close();
  });

  it("shows the ticket's contact, read from the ticketing system, ready to verify on that ticket", async () => {
    const page = await get("/verify?system=halo&ticket=900");
    assert.equal(page.statusCode, 200, page.body.slice(0, 500));
    assert.match(page.body, /<h2 id="caller-h">Jane Doe/);
    assert.match(page.body, /<input type="hidden" name="system" value="halo"\/?>/);
    assert.match(page.body, /Ticket number in halo/);
    assert.match(page.body, /name="ticket" value="900"/);
    assert.ok(halo.requests.some((r) => r.method === "GET" && /\/tickets\/900/i.test(r.path)), "the ticket was read from HaloPSA");

    const started = await app.inject({
      method: "POST",
      url: "/verify/start",
      remoteAddress: "127.0.0.1",
      headers: { ...headers(), origin, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ csrf, user: TEST_USERS.jane.upn, tenant: "acme", method: "sms", ticket: "900", system: "halo" }).toString(),
    });
    assert.equal(started.statusCode, 303, started.body.slice(0, 500));
    const id = /\/verify\/([0-9a-f-]{36})$/.exec(String(started.headers.location))?.[1] ?? "";
    const v = await findVerification(t.runtime.database.db, id);
    assert.equal(v?.ticket, "900");
    assert.equal(v?.ticketSystem, "halo");
    assert.notEqual(v?.ticketConfirmedAt, null, "HaloPSA confirmed the ticket is Jane's before anything was sent");
  });

  it("says so in words when the ticket has no contact with an email address", async () => {
    const page = await get("/verify?system=halo&ticket=901");
    assert.equal(page.statusCode, 422);
    assert.match(page.body, /has no contact with an email address/);
    assert.match(page.body, /TICKET_NOT_CALLERS/);
    assert.doesNotMatch(page.body, /id="caller-h"/);
  });

  it("refuses a ticketing system none of the technician's organisations is reached through", async () => {
    const page = await get("/verify?system=servicenow&ticket=900");
    assert.equal(page.statusCode, 422);
    assert.match(page.body, /VALIDATION_FAILED/);
    assert.match(page.body, /No client organisation you verify for is reached through a ticketing system named &#39;servicenow&#39;|No client organisation you verify for is reached through a ticketing system named 'servicenow'/);
  });

  it("answers a ticket the system does not know with its error, not a caller", async () => {
    const page = await get("/verify?system=halo&ticket=999999");
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /TICKET_NOT_FOUND/);
  });
});
