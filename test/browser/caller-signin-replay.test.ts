import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DEFAULT_PASSWORD } from "../fakes/oidc/local-idp.js";
import { startLocalOktaSignin, type LocalOktaSignin } from "../fakes/oidc/local-signin-idp.js";
import { browserMissing, serveDemoDesk, startOnVerifyScreen } from "../helpers/browser.js";
import { createFakeClock } from "../helpers/clock.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { freePort } from "../helpers/net.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { describeUnless } from "../helpers/skip.js";
import { auditOf } from "../helpers/sso.js";

/**
 * Issue 12 in a real browser against a local Okta that misbehaves: an ID token replayed from an
 * earlier sign-in is refused, the technician's screen keeps waiting, and the caller can still sign
 * in properly on the same link.
 */
describeUnless("sign-in verification with a replayed ID token", browserMissing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let okta: LocalOktaSignin;
  let base: string;
  let browser: Browser;
  let desk: Page;
  let phone: BrowserContext;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    okta = await startLocalOktaSignin({ accounts: { [TEST_USERS.jane.id]: { claims: {} } } });
    okta.start([{ clientId: "verity", clientSecret: "okta-secret", redirectUris: [`${base}/c/signin/callback`] }]);
    t = await createTestRuntime({
      clock: createFakeClock(new Date()),
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { port },
        providers: { console: { kind: "console" }, phone: { kind: "simulated" }, okta: { kind: "okta-signin", issuer: okta.url, clientId: "verity", clientSecret: "okta-secret" } },
        tenants: [acmeTenant(dir, { methods: { sms: "console", "sms-signin": { provider: "console", service: "okta" } } })],
      }),
      demo: true,
    });
    ({ app, browser, desk, phone } = await serveDemoDesk(t.runtime, port));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
    await okta?.close();
  });

  const startSignin = async () => {
    return startOnVerifyScreen(desk, base, TEST_USERS.jane.upn, "sms-signin");
  };

  /** The caller opens the link, presses Sign in, and signs in at Okta with a passkey. */
  const signIn = async (caller: Page, url: string) => {
    await caller.goto(url);
    await caller.getByRole("button", { name: "Sign in" }).tap();
    await caller.waitForURL(/\/interaction\//);
    await caller.locator("#login").fill(TEST_USERS.jane.id);
    await caller.locator("#password").fill(DEFAULT_PASSWORD);
    await caller.locator("#authenticator").selectOption("passkey");
    await caller.getByRole("button", { name: "Sign in" }).click();
    await caller.waitForURL(/\/c\/signin\/callback\?/);
  };

  it("refuses an ID token replayed from an earlier sign-in; the same link then verifies a proper sign-in", async () => {
    const earlier = await startSignin();
    const caller = await phone.newPage();
    await signIn(caller, (await linkSentFor(t.runtime, earlier)).url);
    await caller.getByRole("heading", { name: /you are verified/ }).waitFor();

    const id = await startSignin();
    const link = (await linkSentFor(t.runtime, id)).url;
    okta.tamper = { replayPrevious: true };
    await signIn(caller, link);
    await caller.getByRole("heading", { name: /did not go through/ }).waitFor();
    const [refusal] = await auditOf(t.runtime, "signin.refused");
    assert.deepEqual([refusal?.verification_id, refusal?.reason], [id, "replayed"]);
    assert.match(await desk.locator("#panel").innerText(), /Waiting for Jane Doe/, "nothing was verified");
    assert.equal(await desk.locator(".outcome").count(), 0);

    okta.tamper = undefined;
    await signIn(caller, link);
    await caller.getByRole("heading", { name: /you are verified/ }).waitFor();
    await desk.locator(".outcome.verified").waitFor({ timeout: 5000 });
    assert.match(await desk.locator("#panel").innerText(), /VERIFIED[\s\S]*Level 4 of 5/);
    await caller.close();
  });
});
