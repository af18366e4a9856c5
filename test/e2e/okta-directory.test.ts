import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { startFakeEntra, type FakeEntra } from "../fakes/entra/fake-entra.js";
import { startFakeOkta, type FakeOkta } from "../fakes/okta/fake-okta.js";
import { waitForFinal } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const OKTA_ID = "00uInitechMilton0001";
const MILTON = { upn: "milton@initech.example", mobile: "+14155550142", altEmail: "milton.home@mail.example" };
const ENTRA_TENANT = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const ENTRA_APP = "8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3";
const ENTRA_SECRET = "Z9y8X~okta-e2e-entra-secret";
const SAMIR = { id: "55555555-5555-4555-8555-555555555555", upn: "samir@globex.example", mobile: "+14255550177" };

/**
 * One Verity deployment serving three organisations side by side: Acme from a directory file,
 * Initech from Okta (directory and Okta Verify pushes on the same org), and Globex from
 * Microsoft Entra ID. Each caller is found in their own organisation's directory and verified.
 */
describe("a file tenant, an Okta tenant and an Entra tenant in one Verity", () => {
  let t: TestRuntime | undefined;
  let okta: FakeOkta;
  let entra: FakeEntra;
  before(async () => {
    okta = await startFakeOkta({
      users: [
        {
          id: OKTA_ID,
          login: MILTON.upn,
          firstName: "Milton",
          lastName: "Waddams",
          groups: ["Basement"],
          factors: [
            { factorType: "sms", profile: { phoneNumber: "+1 (415) 555-0142" } },
            { factorType: "email", profile: { email: MILTON.altEmail } },
            { factorType: "push", profile: { name: "Milton's phone", platform: "ANDROID" } },
          ],
          caller: { action: "approve", afterMs: 100 },
        },
      ],
    });
    entra = await startFakeEntra({
      tenants: [{ id: ENTRA_TENANT, displayName: "Globex", domains: ["globex.example"], users: [{ id: SAMIR.id, userPrincipalName: SAMIR.upn, displayName: "Samir N", phones: [{ type: "mobile", number: "+1 4255550177" }] }] }],
      apps: [{ clientId: ENTRA_APP, secrets: [{ id: "6b1e9c52-0000-4000-8000-000000000002", value: ENTRA_SECRET }], consents: { [ENTRA_TENANT]: ["User.Read.All", "UserAuthenticationMethod.Read.All", "RoleManagement.Read.Directory", "Organization.Read.All"] } }],
    });
    const oktaAuth = { kind: "ssws", token: okta.apiToken };
    t = await createTestRuntime({
      overrides: (dir: string) => ({
        ...ROOMY_LIMITS,
        providers: { console: { kind: "console" }, phone: { kind: "simulated" }, okta: { kind: "okta", orgUrl: okta.baseUrl, auth: oktaAuth } },
        tenants: [
          acmeTenant(dir),
          {
            id: "initech",
            name: "Initech",
            domains: ["initech.example"],
            directory: { kind: "okta", orgUrl: okta.baseUrl, auth: oktaAuth, organisation: "Initech Corp" },
            methods: { sms: "console", email: "console", "okta-push": "okta" },
            verification: { pushTimeoutSeconds: 60 },
          },
          {
            id: "globex",
            name: "Globex",
            domains: ["globex.example"],
            directory: { kind: "entra", tenantId: ENTRA_TENANT, clientId: ENTRA_APP, credential: { kind: "secret", secret: ENTRA_SECRET }, loginUrl: entra.loginUrl, graphUrl: entra.graphUrl, recentChangeDays: 0 },
            methods: { sms: "console" },
          },
        ],
      }),
    });
  });
  // The fakes close even when the runtime never started, so a failed start cannot hang the run.
  after(async () => {
    await Promise.allSettled([t === undefined ? undefined : t.close(), okta.close(), entra.close()]);
  });

  const runtime = (): TestRuntime => {
    assert.ok(t !== undefined, "the runtime started");
    return t;
  };

  const verifyBySms = async (user: string, mobile: string) => {
    const view = await runtime().runtime.engine.start(runtime().technician, { user, method: "sms", ticket: null, reason: "password reset" });
    assert.equal(view.state, "sent");
    const checked = await runtime().runtime.engine.check(runtime().technician, view.id, await runtime().codeSentTo(mobile));
    assert.equal(checked.outcome, "verified");
    return view;
  };

  it("verifies the Okta tenant's caller by SMS to the number of their Okta SMS factor", async () => {
    okta.reset();
    const view = await verifyBySms(MILTON.upn, MILTON.mobile);
    assert.equal(view.subject.displayName, "Milton Waddams");
    const paths = okta.requests.map((r) => r.path);
    assert.ok(paths.includes(`/api/v1/users/${OKTA_ID}/factors`), paths.join(" "));
    assert.ok(paths.includes(`/api/v1/users/${OKTA_ID}/roles`));
  });

  it("verifies the Okta tenant's caller by Okta Verify push, with the Okta id as the provider's user id", async () => {
    okta.reset();
    const view = await runtime().runtime.engine.start(runtime().technician, { user: MILTON.upn, method: "okta-push", ticket: null, reason: "password reset" });
    assert.equal(view.state, "sent");
    assert.match(view.challenge ?? "", /^\d{2}$/);
    const final = await waitForFinal(runtime().runtime.engine, runtime().technician, view.id);
    assert.deepEqual([final.state, final.stateReason], ["verified", "approved"]);
    assert.equal(okta.transactions[0]?.userId, OKTA_ID);
    const actions = (await listAuditEvents(runtime().runtime.database.db, { verificationId: view.id, limit: 10 })).map((e) => e.action);
    assert.deepEqual(actions, ["verification.started", "push.sent", "push.approved"]);
  });

  it("verifies the file tenant's and the Entra tenant's callers in the same deployment", async () => {
    await verifyBySms(TEST_USERS.jane.upn, TEST_USERS.jane.mobile);
    await verifyBySms(SAMIR.upn, SAMIR.mobile);
  });

  it("keeps each tenant's callers to its own directory", async () => {
    okta.reset();
    await assert.rejects(runtime().runtime.engine.start(runtime().technician, { user: MILTON.upn, tenant: "acme", method: "sms", ticket: null, reason: "x" }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, "USER_NOT_FOUND");
      return true;
    });
    assert.equal(okta.requests.length, 0, "the file tenant never asks Okta");
  });
});
